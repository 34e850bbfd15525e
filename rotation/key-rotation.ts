import type { Pool } from 'pg';
import { keyBody } from '../api/routes/admin-keys';
import { unixSeconds } from '../api/validation/policy-fields';
import { AuditEntity, writeAudit } from '../db/audit';
import {
  copyKeyRateLimit,
  deprecateKey,
  endKeyRotation,
  getKeyRotation,
  insertKeyRotation,
  newRotationId,
  rotationInGrace,
  sunsetKeyNow,
  undeprecateKey,
  type KeyRotation,
} from '../db/key-rotations';
import { getKey, issueKey, revokeKey, type KeyInfo } from '../db/keys';
import { inTransaction } from '../db/ledger/transaction';
import { NO_POLICY } from '../db/policies';
import type { Queryable } from '../db/queryable';
import type { SecretBox } from '../secrets/secret-box';
import { keyRotationWorkflowId } from '../temporal/key-rotation-messages';
import { KeyRotationState, RotationTrigger } from './key-rotation-types';

/** Why a rotation cannot start or change; the admin API maps each code to a status. */
export const KeyRotationErrorCode = {
  KeyNotFound: 'key_not_found',
  KeyRevoked: 'key_revoked',
  InProgress: 'rotation_in_progress',
  NoMasterKey: 'master_key_missing',
} as const;
export type KeyRotationErrorCode = (typeof KeyRotationErrorCode)[keyof typeof KeyRotationErrorCode];

export class KeyRotationError extends Error {
  constructor(
    readonly code: KeyRotationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyRotationError';
  }
}

/** A rotation in the admin API's shape (timestamps in Unix seconds); never a secret. */
export function rotationBody(r: KeyRotation) {
  return {
    id: r.id,
    object: 'key_rotation',
    key_id: r.keyId,
    new_key_id: r.successorId,
    tenant_id: r.tenantId,
    trigger: r.trigger,
    status: r.state,
    grace_period_seconds: r.gracePeriodSeconds,
    sunset_at: unixSeconds(r.sunsetAt),
    workflow_id: r.workflowId,
    secret_available: r.secretPending,
    secret_revealed_at: unixSeconds(r.revealedAt),
    created_at: unixSeconds(r.createdAt),
    finished_at: unixSeconds(r.finishedAt),
  };
}

/** What starting a rotation produced. `secret` is the successor's, for the caller to show once. */
export interface StartedRotation {
  readonly rotation: KeyRotation;
  readonly successor: KeyInfo;
  readonly secret: string;
}

/**
 * Issues the successor of a key and puts the key in grace, in one transaction with its audit
 * rows: the successor copies tenant, team, name, expiry, tags, max age, policy and rate limit,
 * and charges the same key-level budget (its `budget_key_id` is the lineage's); the old key
 * keeps working until `now + graceSeconds`. The caller starts the workflow afterwards.
 *
 * A scheduled rotation (`trigger: schedule`) has no one to show the secret to: it is sealed with
 * `box` into the rotation row, for one reveal through the admin API.
 *
 * @throws KeyRotationError key_not_found, key_revoked, rotation_in_progress, master_key_missing.
 */
export async function beginKeyRotation(
  pool: Pool,
  opts: { keyId: string; graceSeconds: number; trigger: RotationTrigger; actor: string; box?: SecretBox },
): Promise<StartedRotation> {
  if (opts.trigger === RotationTrigger.Schedule && !opts.box) {
    throw new KeyRotationError(KeyRotationErrorCode.NoMasterKey, 'a scheduled rotation needs a master key to seal the new secret');
  }
  return inTransaction(pool, async (db) => {
    const before = await getKey(db, opts.keyId, { forUpdate: true });
    if (!before) throw new KeyRotationError(KeyRotationErrorCode.KeyNotFound, `No key with id ${opts.keyId}.`);
    if (before.revoked) throw new KeyRotationError(KeyRotationErrorCode.KeyRevoked, `Key ${opts.keyId} is revoked and cannot be rotated.`);
    const running = await rotationInGrace(db, opts.keyId);
    if (running || before.sunsetAt) {
      throw new KeyRotationError(KeyRotationErrorCode.InProgress, `Key ${opts.keyId} is already being rotated${running ? ` (${running.id})` : ''}.`);
    }
    const rotationId = newRotationId();
    const issued = await issueKey(db, {
      name: before.name,
      tenantId: before.tenantId,
      teamId: before.teamId,
      expiresAt: before.expiresAt,
      tags: before.tags,
      rules: before.keyPolicy === NO_POLICY ? undefined : before.keyPolicy,
      maxAgeSeconds: before.maxAgeSeconds,
      rotation: { rotatedFrom: before.id, budgetKeyId: before.budgetKeyId },
    });
    await copyKeyRateLimit(db, before.id, issued.id);
    const { sunsetAt } = await deprecateKey(db, before.id, opts.graceSeconds);
    const rotation = await insertKeyRotation(db, {
      id: rotationId,
      keyId: before.id,
      successorId: issued.id,
      tenantId: before.tenantId,
      trigger: opts.trigger,
      gracePeriodSeconds: opts.graceSeconds,
      sunsetAt,
      workflowId: keyRotationWorkflowId(before.id),
      sealedSecret: opts.trigger === RotationTrigger.Schedule ? opts.box!.seal(issued.key, rotationId) : undefined,
    });
    const successor = (await getKey(db, issued.id))!;
    await auditKeyChange(db, opts.actor, 'rotate', before);
    await writeAudit(db, {
      actor: opts.actor,
      action: 'create',
      entityType: AuditEntity.Key,
      entityId: successor.id,
      tenantId: successor.tenantId,
      before: null,
      after: keyBody(successor),
    });
    await auditRotation(db, opts.actor, 'start', null, rotation);
    return { rotation, successor, secret: issued.key };
  });
}

/**
 * Ends a rotation in grace by revoking the old key (the grace period ran out, or an admin
 * finished it early). Idempotent: a rotation no longer in grace is left as it is. Returns the
 * rotation's state afterwards, or null for an unknown id.
 */
export async function completeKeyRotation(pool: Pool, rotationId: string, actor: string): Promise<KeyRotationState | null> {
  return endRotation(pool, rotationId, actor, KeyRotationState.Completed, async (db, r) => {
    const before = (await getKey(db, r.keyId, { forUpdate: true }))!;
    await revokeKey(db, r.keyId);
    await sunsetKeyNow(db, r.keyId);
    await auditKeyChange(db, actor, 'revoke', before);
  });
}

/**
 * Cancels a rotation in grace: the old key stays (its sunset is cleared), the successor is
 * revoked. Idempotent like {@link completeKeyRotation}.
 */
export async function cancelKeyRotation(pool: Pool, rotationId: string, actor: string): Promise<KeyRotationState | null> {
  return endRotation(pool, rotationId, actor, KeyRotationState.Cancelled, async (db, r) => {
    const old = (await getKey(db, r.keyId, { forUpdate: true }))!;
    const successor = (await getKey(db, r.successorId, { forUpdate: true }))!;
    await undeprecateKey(db, r.keyId);
    await revokeKey(db, r.successorId);
    await auditKeyChange(db, actor, 'update', old);
    await auditKeyChange(db, actor, 'revoke', successor);
  });
}

async function endRotation(
  pool: Pool,
  rotationId: string,
  actor: string,
  state: Exclude<KeyRotationState, 'grace'>,
  apply: (db: Queryable, r: KeyRotation) => Promise<void>,
): Promise<KeyRotationState | null> {
  return inTransaction(pool, async (db) => {
    const before = await getKeyRotation(db, rotationId, { forUpdate: true });
    if (!before) return null;
    if (before.state !== KeyRotationState.Grace) return before.state;
    await apply(db, before);
    await endKeyRotation(db, rotationId, state);
    await auditRotation(db, actor, state === KeyRotationState.Completed ? 'complete' : 'cancel', before, (await getKeyRotation(db, rotationId))!);
    return state;
  });
}

/** Audits a change just made to a key: `before` as it was, the row as it is now. */
async function auditKeyChange(db: Queryable, actor: string, action: string, before: KeyInfo): Promise<void> {
  const after = (await getKey(db, before.id))!;
  await writeAudit(db, {
    actor,
    action,
    entityType: AuditEntity.Key,
    entityId: before.id,
    tenantId: before.tenantId,
    before: keyBody(before),
    after: keyBody(after),
  });
}

async function auditRotation(db: Queryable, actor: string, action: string, before: KeyRotation | null, after: KeyRotation): Promise<void> {
  await writeAudit(db, {
    actor,
    action,
    entityType: AuditEntity.KeyRotation,
    entityId: after.id,
    tenantId: after.tenantId,
    before: before && rotationBody(before),
    after: rotationBody(after),
  });
}
