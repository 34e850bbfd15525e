import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import {
  credentialRotationInGrace,
  deleteCredential,
  endCredentialRotation,
  getCredential,
  insertCredential,
  insertCredentialRotation,
  listCredentials,
  newCredentialId,
  retireCredentialVersion,
  stageCredentialVersion,
  type NewCredentialVersion,
} from '../../db/credentials';
import { inTransaction } from '../../db/ledger/transaction';
import { credentialBody, credentialRotationBody } from '../../rotation/credential-rotation';
import { CREDENTIAL_ROTATION_ACTOR, credentialRotationWorkflowId } from '../../rotation/credential-rotation-types';
import { DEFAULT_GRACE_PERIOD_SECONDS } from '../../rotation/key-rotation-types';
import { refuseReference } from '../../secrets/credential-reference';
import { credentialContext } from '../../secrets/credential-resolver';
import { secretFingerprint, type SecretBox } from '../../secrets/secret-box';
import { TaskQueue } from '../../temporal/task-queues';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';

/** Workflow type of a credential rotation (workflows/credential-rotation.ts). */
const CREDENTIAL_ROTATION_WORKFLOW = 'credentialRotationWorkflow';

const reference = z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'must be env:NAME or file:/absolute/path');
const secret = z.string().min(8).max(8192);

const createSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i)
      .optional(),
    provider: z.string().min(1).max(100),
    secret: secret.optional(),
    reference: reference.optional(),
  })
  .strict()
  .refine((b) => (b.secret === undefined) !== (b.reference === undefined), { message: 'give exactly one of secret and reference', path: ['secret'] });

const rotateSchema = z
  .object({
    secret: secret.optional(),
    reference: reference.optional(),
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(90 * 86_400)
      .default(DEFAULT_GRACE_PERIOD_SECONDS),
  })
  .strict()
  .refine((b) => (b.secret === undefined) !== (b.reference === undefined), { message: 'give exactly one of secret and reference', path: ['secret'] });

function notFound(id: string): HttpError {
  return new HttpError(404, `No credential with id ${id}.`, { code: 'credential_not_found' });
}

/** 400 unless the loaded config declares `provider`: a credential for no provider is never used. */
function checkProvider(deps: ApiDeps, provider: string): void {
  if (deps.config.providers.has(provider)) return;
  throw new HttpError(400, `Invalid value for 'provider': the config declares no provider ${JSON.stringify(provider)}.`, {
    param: 'provider',
    code: 'invalid_value',
  });
}

/**
 * 400 for a reference the policy refuses (`secrets/credential-reference.ts`): one naming the
 * gateway's own secrets, or a file outside `SWITCHYARD_CREDENTIAL_FILE_DIRS`. Its value would
 * be sent upstream as a key.
 */
async function checkReference(deps: ApiDeps, reference: string | undefined): Promise<void> {
  if (reference === undefined) return;
  const refusal = await refuseReference(reference, deps.credentialReferences ?? { fileDirs: [] });
  if (refusal !== undefined) throw new HttpError(400, `Invalid value for 'reference': ${refusal}`, { param: 'reference', code: 'invalid_value' });
}

/** The version to store: a secret sealed under the master key (bound to its row), or a reference. */
function versionOf(box: SecretBox | undefined, body: { secret?: string; reference?: string }, id: string, version: number): NewCredentialVersion {
  if (body.reference)
    return { kind: body.reference.startsWith('env:') ? 'env' : 'file', reference: body.reference, ...secretFingerprint(body.reference), last4: null };
  if (!box) throw new HttpError(409, 'No master key is configured: only env: and file: references can be stored.', { code: 'master_key_missing' });
  return { kind: 'stored', sealed: box.seal(body.secret!, credentialContext(id, version)), ...secretFingerprint(body.secret!) };
}

/** POST /admin/credentials `{id?, provider, secret | reference}` → 201 without the secret. */
export function createCredentialRoute(deps: ApiDeps) {
  return async function createCredentialHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createSchema, req.body);
    checkProvider(deps, body.provider);
    await checkReference(deps, body.reference);
    const id = body.id ?? newCredentialId();
    const created = await inTransaction(deps.pool, async (db) => {
      if (!(await insertCredential(db, { id, provider: body.provider, version: versionOf(deps.secretBox, body, id, 1) }))) {
        throw new HttpError(409, `Credential ${id} already exists.`, { param: 'id', code: 'credential_exists' });
      }
      const info = (await getCredential(db, id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'create',
        entityType: AuditEntity.Credential,
        entityId: id,
        tenantId: null,
        before: null,
        after: credentialBody(info),
      });
      return info;
    });
    deps.logger.info({ credentialId: id }, 'provider credential created');
    res.status(201).json(credentialBody(created));
  };
}

/** GET /admin/credentials. */
export function listCredentialsRoute(deps: ApiDeps) {
  return async function listCredentialsHandler(_req: Request, res: Response): Promise<void> {
    res.json({ object: 'list', data: (await listCredentials(deps.pool)).map(credentialBody) });
  };
}

/** GET /admin/credentials/:id. */
export function getCredentialRoute(deps: ApiDeps) {
  return async function getCredentialHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const info = await getCredential(deps.pool, id);
    if (!info) throw notFound(id);
    res.json(credentialBody(info));
  };
}

/** DELETE /admin/credentials/:id: every version's secret is erased; providers naming it then fail over. */
export function deleteCredentialRoute(deps: ApiDeps) {
  return async function deleteCredentialHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    await inTransaction(deps.pool, async (db) => {
      const before = await getCredential(db, id, { forUpdate: true });
      if (!before || !(await deleteCredential(db, id))) throw notFound(id);
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'delete',
        entityType: AuditEntity.Credential,
        entityId: id,
        tenantId: null,
        before: credentialBody(before),
        after: null,
      });
    });
    deps.logger.info({ credentialId: id }, 'provider credential deleted');
    res.json({ id, object: 'credential', deleted: true });
  };
}

/**
 * POST /admin/credentials/:id/rotate `{secret | reference, grace_period_seconds?}`: stages the
 * new version (sealed) and starts `rotate-credential-<id>`, which makes it primary with the old
 * one as a fallback on 401/403 until the grace period ends, then erases the old one. 409 while
 * another rotation of the credential is in grace.
 */
export function rotateCredentialRoute(deps: ApiDeps) {
  return async function rotateCredentialHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const body = validateBody(rotateSchema, req.body);
    await checkReference(deps, body.reference);
    const rotation = await inTransaction(deps.pool, async (db) => {
      const before = await getCredential(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      if (await credentialRotationInGrace(db, id)) throw new HttpError(409, `Credential ${id} is already being rotated.`, { code: 'rotation_in_progress' });
      const primary = before.versions.find((v) => v.state === 'primary')!;
      const next = Math.max(...before.versions.map((v) => v.version)) + 1;
      const staged = await stageCredentialVersion(db, id, versionOf(deps.secretBox, body, id, next));
      const r = await insertCredentialRotation(db, {
        id: `crot_${randomBytes(8).toString('hex')}`,
        credentialId: id,
        fromVersion: primary.version,
        toVersion: staged,
        graceSeconds: body.grace_period_seconds,
        workflowId: credentialRotationWorkflowId(id),
      });
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'rotate',
        entityType: AuditEntity.Credential,
        entityId: id,
        tenantId: null,
        before: credentialBody(before),
        after: credentialRotationBody(r),
      });
      return r;
    });
    try {
      await deps.temporal.workflow.start(CREDENTIAL_ROTATION_WORKFLOW, {
        taskQueue: TaskQueue.Interactive,
        workflowId: rotation.workflowId,
        args: [
          {
            rotationId: rotation.id,
            credentialId: id,
            fromVersion: rotation.fromVersion,
            toVersion: rotation.toVersion,
            endsAt: rotation.endsAt.toISOString(),
          },
        ],
        workflowIdConflictPolicy: 'FAIL',
      });
    } catch (err) {
      // Nothing was promoted yet: drop the staged version so the credential is as it was.
      await inTransaction(deps.pool, async (db) => {
        await retireCredentialVersion(db, id, rotation.toVersion);
        await endCredentialRotation(db, rotation.id, 'cancelled');
        await writeAudit(db, {
          actor: CREDENTIAL_ROTATION_ACTOR,
          action: 'cancel',
          entityType: AuditEntity.Credential,
          entityId: id,
          tenantId: null,
          before: null,
          after: credentialRotationBody(rotation),
        });
      });
      deps.logger.error({ credentialId: id, err: err instanceof Error ? err.message : String(err) }, 'could not start the credential rotation workflow');
      throw new HttpError(503, 'Could not start the rotation; nothing changed. Try again.', { code: 'rotation_start_failed' });
    }
    deps.logger.info({ credentialId: id, rotationId: rotation.id }, 'provider credential rotation started');
    res.status(201).json(credentialRotationBody(rotation));
  };
}
