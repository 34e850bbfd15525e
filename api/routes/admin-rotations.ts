import type { Request, Response } from 'express';
import { z } from 'zod';
import { inTransaction } from '../../db/ledger/transaction';
import { getKeyRotation, listKeyRotations, takeSealedSecret, type KeyRotation } from '../../db/key-rotations';
import { beginKeyRotation, cancelKeyRotation, KeyRotationError, KeyRotationErrorCode, rotationBody } from '../../rotation/key-rotation';
import { DEFAULT_GRACE_PERIOD_SECONDS, KeyRotationState, ROTATION_SYSTEM_ACTOR, RotationTrigger } from '../../rotation/key-rotation-types';
import { cancelKeyRotationUpdate, finishKeyRotationUpdate } from '../../temporal/key-rotation-messages';
import { startKeyRotationWorkflow } from '../../temporal/key-rotation-starter';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';
import { keyBody } from './admin-keys';

/** Longest grace period accepted: 90 days. */
const MAX_GRACE_SECONDS = 90 * 86_400;

const rotateSchema = z.object({ grace_period_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(DEFAULT_GRACE_PERIOD_SECONDS) }).strict();

const listQuerySchema = z
  .object({
    key_id: z.string().min(1).optional(),
    tenant_id: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const ERROR_STATUS: Record<KeyRotationErrorCode, number> = {
  [KeyRotationErrorCode.KeyNotFound]: 404,
  [KeyRotationErrorCode.KeyRevoked]: 409,
  [KeyRotationErrorCode.InProgress]: 409,
  [KeyRotationErrorCode.NoMasterKey]: 409,
};

function rotationNotFound(id: string): HttpError {
  return new HttpError(404, `No key rotation with id ${id}.`, { code: 'rotation_not_found' });
}

/**
 * POST /admin/keys/:id/rotate `{grace_period_seconds?}` (default 86400; 0 = the old key stops
 * now): issues the successor and returns it with its secret, once. The database work commits
 * first; then `rotate-key-<id>` starts. If that start fails, the rotation is cancelled (the
 * successor revoked, the old key untouched) and the caller gets 503 or 409.
 */
export function rotateKeyRoute(deps: ApiDeps) {
  return async function rotateKeyHandler(req: Request, res: Response): Promise<void> {
    const keyId = String(req.params.id);
    const body = validateBody(rotateSchema, req.body ?? {});
    const actor = actorOf(res);
    let started;
    try {
      started = await beginKeyRotation(deps.pool, { keyId, graceSeconds: body.grace_period_seconds, trigger: RotationTrigger.Admin, actor });
    } catch (err) {
      if (err instanceof KeyRotationError) throw new HttpError(ERROR_STATUS[err.code], err.message, { code: err.code });
      throw err;
    }
    const { rotation, successor, secret } = started;
    try {
      await startKeyRotationWorkflow(deps.temporal, {
        rotationId: rotation.id,
        keyId: rotation.keyId,
        successorId: rotation.successorId,
        sunsetAt: rotation.sunsetAt.toISOString(),
      });
    } catch (err) {
      await cancelKeyRotation(deps.pool, rotation.id, ROTATION_SYSTEM_ACTOR);
      deps.keys.invalidate(rotation.keyId);
      deps.logger.error({ rotationId: rotation.id, err: err instanceof Error ? err.message : String(err) }, 'could not start the key rotation workflow');
      const exists = err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError';
      throw exists
        ? new HttpError(409, `Key ${keyId} is already being rotated.`, { code: KeyRotationErrorCode.InProgress })
        : new HttpError(503, 'Could not start the rotation; nothing changed. Try again.', { code: 'rotation_start_failed' });
    }
    deps.keys.invalidate(rotation.keyId);
    deps.logger.info({ rotationId: rotation.id, keyId: rotation.keyId, newKeyId: successor.id }, 'client key rotation started');
    res.status(201).json({ ...rotationBody(rotation), new_key: { ...keyBody(successor), key: secret } });
  };
}

/** GET /admin/rotations?key_id=&tenant_id=&limit=: newest first; `key_id` matches the old or the new key. */
export function listRotationsRoute(deps: ApiDeps) {
  return async function listRotationsHandler(req: Request, res: Response): Promise<void> {
    const q = validateBody(listQuerySchema, { ...(req.query as Record<string, unknown>) });
    const rows = await listKeyRotations(deps.pool, { keyId: q.key_id, tenantId: q.tenant_id, limit: q.limit });
    res.json({ object: 'list', data: rows.map(rotationBody) });
  };
}

/** GET /admin/rotations/:id. */
export function getRotationRoute(deps: ApiDeps) {
  return async function getRotationHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const rotation = await getKeyRotation(deps.pool, id);
    if (!rotation) throw rotationNotFound(id);
    res.json(rotationBody(rotation));
  };
}

/** POST /admin/rotations/:id/finish: revokes the old key now. */
export function finishRotationRoute(deps: ApiDeps) {
  return endRotationRoute(deps, 'finish');
}

/** POST /admin/rotations/:id/cancel: revokes the successor; the old key keeps working. */
export function cancelRotationRoute(deps: ApiDeps) {
  return endRotationRoute(deps, 'cancel');
}

/**
 * Both end early through a workflow update, which answers once the step has committed. A
 * rotation that already ended answers 409 with its state; whichever request came first won.
 */
function endRotationRoute(deps: ApiDeps, kind: 'finish' | 'cancel') {
  const wanted = kind === 'finish' ? KeyRotationState.Completed : KeyRotationState.Cancelled;
  return async function endRotationHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const rotation = await getKeyRotation(deps.pool, id);
    if (!rotation) throw rotationNotFound(id);
    if (rotation.state !== KeyRotationState.Grace) throw alreadyEnded(rotation);
    const handle = deps.temporal.workflow.getHandle(rotation.workflowId);
    const update = kind === 'finish' ? finishKeyRotationUpdate : cancelKeyRotationUpdate;
    const state = await handle.executeUpdate(update, { args: [actorOf(res)] });
    deps.keys.invalidate(rotation.keyId);
    deps.keys.invalidate(rotation.successorId);
    const after = (await getKeyRotation(deps.pool, id))!;
    if (state !== wanted) throw alreadyEnded(after);
    deps.logger.info({ rotationId: id, state }, `client key rotation ${kind === 'finish' ? 'finished early' : 'cancelled'}`);
    res.json(rotationBody(after));
  };
}

function alreadyEnded(r: KeyRotation): HttpError {
  return new HttpError(409, `Rotation ${r.id} has already ended (${r.state}).`, { code: 'rotation_ended' });
}

/**
 * GET /admin/rotations/:id/secret: a scheduled rotation's new key, exactly once. The sealed
 * secret is removed from the database in the same statement that reads it, so a second call (or
 * a concurrent one) gets 410. Admin-started rotations returned the key in their response: 404.
 */
export function revealRotationSecretRoute(deps: ApiDeps) {
  return async function revealRotationSecretHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const rotation = await getKeyRotation(deps.pool, id);
    if (!rotation) throw rotationNotFound(id);
    if (rotation.trigger !== RotationTrigger.Schedule) {
      throw new HttpError(404, `Rotation ${id} was started through the API, which returned its key then.`, { code: 'secret_not_stored' });
    }
    if (!deps.secretBox) throw new HttpError(409, 'No master key is configured: the sealed key cannot be opened.', { code: 'master_key_missing' });
    const box = deps.secretBox;
    // Opened inside the transaction that clears it: a secret that fails to open is not lost.
    const secret = await inTransaction(deps.pool, async (db) => {
      const sealed = await takeSealedSecret(db, id);
      return sealed && box.open(sealed, id);
    });
    if (!secret) {
      throw new HttpError(410, `The key of rotation ${id} was already revealed, or the rotation was cancelled.`, { code: 'secret_already_revealed' });
    }
    deps.logger.info({ rotationId: id }, 'scheduled rotation key revealed');
    res.setHeader('cache-control', 'no-store');
    res.json({ object: 'key_rotation.secret', rotation_id: id, key_id: rotation.successorId, key: secret });
  };
}
