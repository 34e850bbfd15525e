import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { type KeyRotationState, type RotationTrigger } from '../rotation/key-rotation-types';
import type { Queryable } from './queryable';

/** One rotation as stored in `key_rotations`. Never holds a secret in clear. */
export interface KeyRotation {
  readonly id: string;
  readonly keyId: string;
  readonly successorId: string;
  readonly tenantId: string;
  readonly trigger: RotationTrigger;
  readonly state: KeyRotationState;
  readonly gracePeriodSeconds: number;
  readonly sunsetAt: Date;
  readonly workflowId: string;
  /** A scheduled rotation's sealed new secret is waiting for its one reveal. */
  readonly secretPending: boolean;
  readonly revealedAt: Date | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

interface RotationRow {
  id: string;
  key_id: string;
  successor_id: string;
  tenant_id: string;
  trigger: RotationTrigger;
  state: KeyRotationState;
  grace_period_seconds: number;
  sunset_at: Date;
  workflow_id: string;
  secret_pending: boolean;
  revealed_at: Date | null;
  created_at: Date;
  finished_at: Date | null;
}

const COLUMNS = `id, key_id, successor_id, tenant_id, trigger, state, grace_period_seconds, sunset_at, workflow_id,
  sealed_secret IS NOT NULL AS secret_pending, revealed_at, created_at, finished_at`;

function toRotation(r: RotationRow): KeyRotation {
  return {
    id: r.id,
    keyId: r.key_id,
    successorId: r.successor_id,
    tenantId: r.tenant_id,
    trigger: r.trigger,
    state: r.state,
    gracePeriodSeconds: r.grace_period_seconds,
    sunsetAt: r.sunset_at,
    workflowId: r.workflow_id,
    secretPending: r.secret_pending,
    revealedAt: r.revealed_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/** A fresh rotation id, `rot_<16 hex>`. */
export function newRotationId(): string {
  return `rot_${randomBytes(8).toString('hex')}`;
}

/** Inserts a rotation in grace. The partial unique index refuses a second one in grace for the key. */
export async function insertKeyRotation(
  db: Queryable,
  r: {
    id: string;
    keyId: string;
    successorId: string;
    tenantId: string;
    trigger: RotationTrigger;
    gracePeriodSeconds: number;
    sunsetAt: Date;
    workflowId: string;
    sealedSecret?: Buffer;
  },
): Promise<KeyRotation> {
  const { rows } = await db.query<RotationRow>(
    `INSERT INTO key_rotations (id, key_id, successor_id, tenant_id, trigger, state, grace_period_seconds, sunset_at, workflow_id, sealed_secret)
     VALUES ($1, $2, $3, $4, $5, 'grace', $6, $7, $8, $9) RETURNING ${COLUMNS}`,
    [r.id, r.keyId, r.successorId, r.tenantId, r.trigger, r.gracePeriodSeconds, r.sunsetAt, r.workflowId, r.sealedSecret ?? null],
  );
  return toRotation(rows[0]!);
}

/** A rotation by id; `forUpdate` locks the row for the transaction. */
export async function getKeyRotation(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<KeyRotation | null> {
  const { rows } = await db.query<RotationRow>(`SELECT ${COLUMNS} FROM key_rotations WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toRotation(rows[0]) : null;
}

/** The key's rotation in grace, if any. */
export async function rotationInGrace(db: Queryable, keyId: string): Promise<KeyRotation | null> {
  const { rows } = await db.query<RotationRow>(`SELECT ${COLUMNS} FROM key_rotations WHERE key_id = $1 AND state = 'grace'`, [keyId]);
  return rows[0] ? toRotation(rows[0]) : null;
}

/** Rotations newest first, filtered by key (old or new side) and/or tenant. */
export async function listKeyRotations(pool: Pool, filter: { keyId?: string; tenantId?: string; limit: number }): Promise<KeyRotation[]> {
  const { rows } = await pool.query<RotationRow>(
    `SELECT ${COLUMNS} FROM key_rotations
     WHERE ($1::text IS NULL OR key_id = $1 OR successor_id = $1) AND ($2::text IS NULL OR tenant_id = $2)
     ORDER BY created_at DESC, id LIMIT $3`,
    [filter.keyId ?? null, filter.tenantId ?? null, filter.limit],
  );
  return rows.map(toRotation);
}

/** Ends a rotation in grace; the sealed secret of a cancelled one is dropped. False when it was not in grace. */
export async function endKeyRotation(db: Queryable, id: string, state: Exclude<KeyRotationState, 'grace'>): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE key_rotations SET state = $2, finished_at = now(), sealed_secret = CASE WHEN $2 = 'cancelled' THEN NULL ELSE sealed_secret END
     WHERE id = $1 AND state = 'grace'`,
    [id, state],
  );
  return rowCount === 1;
}

/**
 * Takes a scheduled rotation's sealed secret out of the database: the one caller that gets it
 * back is the only one who ever will (one atomic UPDATE … RETURNING). Null when there is none
 * (never sealed, already revealed, or the rotation was cancelled).
 */
export async function takeSealedSecret(db: Queryable, id: string): Promise<Buffer | null> {
  const { rows } = await db.query<{ sealed: Buffer }>(
    `WITH old AS (SELECT id, sealed_secret AS sealed FROM key_rotations WHERE id = $1 AND sealed_secret IS NOT NULL FOR UPDATE)
     UPDATE key_rotations r SET sealed_secret = NULL, revealed_at = now() FROM old WHERE r.id = old.id RETURNING old.sealed`,
    [id],
  );
  return rows[0]?.sealed ?? null;
}

/** Marks a key as being rotated away: it works until `sunsetAt`. Returns the stored sunset. */
export async function deprecateKey(db: Queryable, keyId: string, graceSeconds: number): Promise<{ deprecatedAt: Date; sunsetAt: Date }> {
  const { rows } = await db.query<{ deprecated_at: Date; sunset_at: Date }>(
    `UPDATE api_keys SET deprecated_at = now(), sunset_at = now() + make_interval(secs => $2) WHERE id = $1 RETURNING deprecated_at, sunset_at`,
    [keyId, graceSeconds],
  );
  return { deprecatedAt: rows[0]!.deprecated_at, sunsetAt: rows[0]!.sunset_at };
}

/** Undoes {@link deprecateKey} (a cancelled rotation): the key works as before. */
export async function undeprecateKey(db: Queryable, keyId: string): Promise<void> {
  await db.query('UPDATE api_keys SET deprecated_at = NULL, sunset_at = NULL WHERE id = $1', [keyId]);
}

/** Brings a deprecated key's sunset forward to now (a rotation finished early). */
export async function sunsetKeyNow(db: Queryable, keyId: string): Promise<void> {
  await db.query('UPDATE api_keys SET sunset_at = LEAST(sunset_at, now()) WHERE id = $1 AND sunset_at IS NOT NULL', [keyId]);
}

/** Gives a successor its predecessor's key-level rate limit, if it has one. */
export async function copyKeyRateLimit(db: Queryable, fromKeyId: string, toKeyId: string): Promise<void> {
  await db.query(
    `INSERT INTO rate_limits (scope, scope_id, rpm, tpm) SELECT 'key', $2, rpm, tpm FROM rate_limits WHERE scope = 'key' AND scope_id = $1
     ON CONFLICT DO NOTHING`,
    [fromKeyId, toKeyId],
  );
}

/**
 * Live keys older than their `max_age_seconds` and not in a rotation already (as the old key),
 * oldest first, at most `limit`: what the rotation Schedule rotates.
 */
export async function keysDueForRotation(pool: Pool, limit: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT k.id FROM api_keys k
     WHERE k.max_age_seconds IS NOT NULL AND k.revoked_at IS NULL AND k.disabled_at IS NULL AND k.sunset_at IS NULL
       AND k.created_at + make_interval(secs => k.max_age_seconds) <= now()
       AND NOT EXISTS (SELECT 1 FROM key_rotations r WHERE r.key_id = k.id AND r.state = 'grace')
     ORDER BY k.created_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}
