import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import { getKey, issueKey, listKeys, revokeKey, updateKey, type KeyInfo } from '../../db/keys';
import { inTransaction } from '../../db/ledger/transaction';
import { NO_POLICY, PolicyScope, putPolicy } from '../../db/policies';
import type { Queryable } from '../../db/queryable';
import { getTeam } from '../../db/teams';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { policyBody, policyFields, rulesFrom, setsPolicy, timestampInput, unixSeconds } from '../validation/policy-fields';
import { validateBody } from '../validation/validate';

const tags = z.record(z.string().min(1).max(100), z.string().max(500)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');

/** Rotate automatically once this old: at least an hour, at most ten years. */
const maxAge = z
  .number()
  .int()
  .min(3600)
  .max(10 * 365 * 86_400);

const createKeySchema = z
  .object({
    name: z.string().min(1).max(200),
    tenant_id: z.string().min(1).optional(),
    team_id: z.string().min(1).nullable().optional(),
    expires_at: timestampInput.nullable().optional(),
    tags: tags.optional(),
    max_age_seconds: maxAge.nullable().optional(),
    ...policyFields,
  })
  .strict();

const patchKeySchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    disabled: z.boolean().optional(),
    expires_at: timestampInput.nullable().optional(),
    tags: tags.optional(),
    max_age_seconds: maxAge.nullable().optional(),
    ...policyFields,
  })
  .strict();

const listQuerySchema = z
  .object({
    tenant_id: z.string().min(1),
    team_id: z.string().min(1).optional(),
    after: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** A key's status as the admin API reports it; revoked wins over disabled wins over expired. */
function keyStatus(k: KeyInfo, now = Date.now()): 'active' | 'disabled' | 'expired' | 'revoked' {
  if (k.revoked) return 'revoked';
  if (k.disabled) return 'disabled';
  if (k.expiresAt && k.expiresAt.getTime() <= now) return 'expired';
  if (k.sunsetAt && k.sunsetAt.getTime() <= now) return 'expired';
  return 'active';
}

/** A key in the admin API's shape: listed by prefix, never with its hash or secret. */
export function keyBody(k: KeyInfo) {
  return {
    id: k.id,
    object: 'key',
    name: k.name,
    prefix: k.prefix,
    tenant_id: k.tenantId,
    team_id: k.teamId,
    status: keyStatus(k),
    created_at: unixSeconds(k.createdAt),
    expires_at: unixSeconds(k.expiresAt),
    disabled_at: unixSeconds(k.disabledAt),
    revoked_at: unixSeconds(k.revokedAt),
    tags: k.tags,
    max_age_seconds: k.maxAgeSeconds,
    rotated_from: k.rotatedFrom,
    budget_key_id: k.budgetKeyId,
    deprecated_at: unixSeconds(k.deprecatedAt),
    sunset_at: unixSeconds(k.sunsetAt),
    ...policyBody(k.keyPolicy),
  };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No key with id ${id}.`, { code: 'key_not_found' });
}

/** The key's tenant: the one given, else the team's, else `default`; 404 for unknown ones, 400 when they disagree. */
async function owner(db: Queryable, body: { tenant_id?: string; team_id?: string | null }): Promise<{ tenantId: string; teamId: string | null }> {
  if (body.team_id) {
    const team = await getTeam(db, body.team_id);
    if (!team) throw new HttpError(404, `Team ${body.team_id} does not exist.`, { param: 'team_id', code: 'team_not_found' });
    if (body.tenant_id && body.tenant_id !== team.tenantId) {
      throw new HttpError(400, `Team ${team.id} belongs to tenant ${team.tenantId}, not ${body.tenant_id}.`, { param: 'team_id', code: 'invalid_value' });
    }
    return { tenantId: team.tenantId, teamId: team.id };
  }
  const tenantId = body.tenant_id ?? 'default';
  const { rowCount } = await db.query('SELECT 1 FROM tenants WHERE id = $1', [tenantId]);
  if (!rowCount) throw new HttpError(404, `Tenant ${tenantId} does not exist.`, { param: 'tenant_id', code: 'tenant_not_found' });
  return { tenantId, teamId: null };
}

/** POST /admin/keys: issues a key with its rules; the secret is in this response only. */
export function createKey(deps: ApiDeps) {
  return async function createKeyHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createKeySchema, req.body);
    const { key, info } = await inTransaction(deps.pool, async (db) => {
      const { tenantId, teamId } = await owner(db, body);
      const issued = await issueKey(db, {
        name: body.name,
        tenantId,
        teamId,
        expiresAt: body.expires_at,
        tags: body.tags,
        rules: rulesFrom(NO_POLICY, body),
        maxAgeSeconds: body.max_age_seconds,
      });
      const created = (await getKey(db, issued.id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'create',
        entityType: AuditEntity.Key,
        entityId: issued.id,
        tenantId,
        before: null,
        after: keyBody(created),
      });
      return { key: issued.key, info: created };
    });
    deps.logger.info({ keyId: info.id, tenantId: info.tenantId }, 'client key issued');
    res.status(201).json({ ...keyBody(info), key });
  };
}

/** GET /admin/keys?tenant_id=&team_id=&after=&limit=: a tenant's keys in id order, by prefix. */
export function listKeysRoute(deps: ApiDeps) {
  return async function listKeysHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(listQuerySchema, { ...(req.query as Record<string, unknown>) });
    const keys = await listKeys(deps.pool, { tenantId: query.tenant_id, teamId: query.team_id, afterId: query.after, limit: query.limit + 1 });
    const page = keys.slice(0, query.limit);
    res.json({ object: 'list', data: page.map((k) => keyBody(k)), has_more: keys.length > query.limit, last_id: page.at(-1)?.id ?? null });
  };
}

/** GET /admin/keys/:id. */
export function getKeyRoute(deps: ApiDeps) {
  return async function getKeyHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const key = await getKey(deps.pool, id);
    if (!key) throw notFound(id);
    res.json(keyBody(key));
  };
}

/**
 * PATCH /admin/keys/:id: name, disabled, expires_at, tags and rules. A revoked key cannot be
 * changed (409). This instance sees the change at once, others within the key cache's TTL.
 */
export function patchKeyRoute(deps: ApiDeps) {
  return async function patchKeyHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const body = validateBody(patchKeySchema, req.body);
    const after = await inTransaction(deps.pool, async (db) => {
      const before = await getKey(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      if (before.revoked) throw new HttpError(409, `Key ${id} is revoked and cannot be changed.`, { code: 'key_revoked' });
      await updateKey(db, id, { name: body.name, disabled: body.disabled, expiresAt: body.expires_at, tags: body.tags, maxAgeSeconds: body.max_age_seconds });
      if (setsPolicy(body)) {
        await putPolicy(db, { scope: PolicyScope.Key, scopeId: id, tenantId: before.tenantId, rules: rulesFrom(before.keyPolicy, body) });
      }
      const updated = (await getKey(db, id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'update',
        entityType: AuditEntity.Key,
        entityId: id,
        tenantId: before.tenantId,
        before: keyBody(before),
        after: keyBody(updated),
      });
      return updated;
    });
    deps.keys.invalidate(id);
    deps.logger.info({ keyId: id }, 'client key changed');
    res.json(keyBody(after));
  };
}

/** DELETE /admin/keys/:id: revokes a key; this instance forgets it at once, others within the cache TTL. */
export function deleteKey(deps: ApiDeps) {
  return async function deleteKeyHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    await inTransaction(deps.pool, async (db) => {
      const before = await getKey(db, id, { forUpdate: true });
      if (!before || !(await revokeKey(db, id))) throw new HttpError(404, `No active key with id ${id}.`, { code: 'key_not_found' });
      const after = (await getKey(db, id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'revoke',
        entityType: AuditEntity.Key,
        entityId: id,
        tenantId: before.tenantId,
        before: keyBody(before),
        after: keyBody(after),
      });
    });
    deps.keys.invalidate(id);
    deps.logger.info({ keyId: id }, 'client key revoked');
    res.json({ id, object: 'key', deleted: true });
  };
}
