import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Queryable } from './queryable';

/** How a credential version holds its secret: sealed in the row, or a reference read at run time. */
export type CredentialKind = 'stored' | 'env' | 'file';
/** A version's role: `staged` (written, not used yet), `primary`, `fallback` (on 401/403), `retired` (secret gone). */
export type CredentialVersionState = 'staged' | 'primary' | 'fallback' | 'retired';

/** One version's public identity; never the secret. */
export interface CredentialVersionInfo {
  readonly version: number;
  readonly kind: CredentialKind;
  readonly state: CredentialVersionState;
  /** `env:NAME` / `file:/path` for references (not secret); null for stored secrets. */
  readonly reference: string | null;
  readonly fingerprint: string;
  readonly last4: string | null;
  readonly createdAt: Date;
  readonly retiredAt: Date | null;
}

export interface CredentialInfo {
  readonly id: string;
  readonly provider: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly versions: readonly CredentialVersionInfo[];
}

/** What a new version stores: `sealed` for `stored`, `reference` otherwise. */
export interface NewCredentialVersion {
  readonly kind: CredentialKind;
  readonly sealed?: Buffer;
  readonly reference?: string;
  readonly fingerprint: string;
  readonly last4?: string | null;
}

/** A live version with its secret material (sealed or a reference), for the resolver only. */
export interface LiveCredentialVersion {
  readonly version: number;
  readonly state: 'primary' | 'fallback';
  readonly kind: CredentialKind;
  readonly sealed: Buffer | null;
  readonly reference: string | null;
}

/** A fresh credential id, `cred_<16 hex>`. */
export function newCredentialId(): string {
  return `cred_${randomBytes(8).toString('hex')}`;
}

/** Inserts a credential with its first version as primary. False when the id is taken. */
export async function insertCredential(db: Queryable, c: { id: string; provider: string; version: NewCredentialVersion }): Promise<boolean> {
  const { rowCount } = await db.query('INSERT INTO provider_credentials (id, provider) VALUES ($1, $2) ON CONFLICT DO NOTHING', [c.id, c.provider]);
  if (rowCount !== 1) return false;
  await insertVersion(db, c.id, 1, c.version, 'primary');
  return true;
}

/** Adds the next version as `staged` and returns its number. */
export async function stageCredentialVersion(db: Queryable, id: string, v: NewCredentialVersion): Promise<number> {
  const { rows } = await db.query<{ next: number }>('SELECT COALESCE(max(version), 0) + 1 AS next FROM credential_versions WHERE credential_id = $1', [id]);
  const version = rows[0]!.next;
  await insertVersion(db, id, version, v, 'staged');
  return version;
}

async function insertVersion(db: Queryable, id: string, version: number, v: NewCredentialVersion, state: CredentialVersionState): Promise<void> {
  await db.query(
    `INSERT INTO credential_versions (credential_id, version, kind, sealed, reference, fingerprint, last4, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, version, v.kind, v.sealed ?? null, v.reference ?? null, v.fingerprint, v.last4 ?? null, state],
  );
}

/**
 * Makes `toVersion` primary and the current primary (`fromVersion`) its fallback, in one
 * transaction. Idempotent: run again, it finds `toVersion` primary already and changes nothing.
 */
export async function promoteCredentialVersion(db: Queryable, id: string, fromVersion: number, toVersion: number): Promise<void> {
  await db.query(`UPDATE credential_versions SET state = 'fallback' WHERE credential_id = $1 AND version = $2 AND state = 'primary'`, [id, fromVersion]);
  await db.query(`UPDATE credential_versions SET state = 'primary' WHERE credential_id = $1 AND version = $2 AND state = 'staged'`, [id, toVersion]);
  await db.query('UPDATE provider_credentials SET updated_at = now() WHERE id = $1', [id]);
}

/** Retires a version: its secret is erased, its fingerprint kept. Idempotent. */
export async function retireCredentialVersion(db: Queryable, id: string, version: number): Promise<void> {
  await db.query(
    `UPDATE credential_versions SET state = 'retired', sealed = NULL, retired_at = COALESCE(retired_at, now())
     WHERE credential_id = $1 AND version = $2`,
    [id, version],
  );
}

/** The primary (first) and fallback versions of a live credential; empty for an unknown or deleted one. */
export async function liveCredentialVersions(pool: Pool, id: string): Promise<LiveCredentialVersion[]> {
  const { rows } = await pool.query<LiveCredentialVersion>(
    `SELECT v.version, v.state, v.kind, v.sealed, v.reference FROM credential_versions v
     JOIN provider_credentials c ON c.id = v.credential_id
     WHERE v.credential_id = $1 AND c.deleted_at IS NULL AND v.state IN ('primary', 'fallback')
     ORDER BY v.state = 'primary' DESC, v.version DESC`,
    [id],
  );
  return rows;
}

interface CredentialRow {
  id: string;
  provider: string;
  created_at: Date;
  updated_at: Date;
  versions: Array<{
    version: number;
    kind: CredentialKind;
    state: CredentialVersionState;
    reference: string | null;
    fingerprint: string;
    last4: string | null;
    created_at: string;
    retired_at: string | null;
  }>;
}

// Only public columns: `sealed` is never selected here.
const SELECT = `SELECT c.id, c.provider, c.created_at, c.updated_at,
  (SELECT json_agg(json_build_object('version', v.version, 'kind', v.kind, 'state', v.state, 'reference', v.reference,
     'fingerprint', v.fingerprint, 'last4', v.last4, 'created_at', v.created_at, 'retired_at', v.retired_at) ORDER BY v.version)
   FROM credential_versions v WHERE v.credential_id = c.id) AS versions
  FROM provider_credentials c WHERE c.deleted_at IS NULL`;

function toInfo(r: CredentialRow): CredentialInfo {
  return {
    id: r.id,
    provider: r.provider,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    versions: (r.versions ?? []).map((v) => ({
      version: v.version,
      kind: v.kind,
      state: v.state,
      reference: v.reference,
      fingerprint: v.fingerprint,
      last4: v.last4,
      createdAt: new Date(v.created_at),
      retiredAt: v.retired_at ? new Date(v.retired_at) : null,
    })),
  };
}

/** A live credential's public view; null when unknown or deleted. `forUpdate` locks it. */
export async function getCredential(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<CredentialInfo | null> {
  const { rows } = await db.query<CredentialRow>(`${SELECT} AND c.id = $1${opts.forUpdate ? ' FOR UPDATE OF c' : ''}`, [id]);
  return rows[0] ? toInfo(rows[0]) : null;
}

/** Live credentials in id order. */
export async function listCredentials(pool: Pool): Promise<CredentialInfo[]> {
  const { rows } = await pool.query<CredentialRow>(`${SELECT} ORDER BY c.id`);
  return rows.map(toInfo);
}

/** Deletes a credential: marked deleted, every version retired (secrets erased). False when unknown. */
export async function deleteCredential(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE provider_credentials SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
  if (rowCount !== 1) return false;
  await db.query(`UPDATE credential_versions SET state = 'retired', sealed = NULL, retired_at = COALESCE(retired_at, now()) WHERE credential_id = $1`, [id]);
  return true;
}

/** One credential rotation row. */
export interface CredentialRotation {
  readonly id: string;
  readonly credentialId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly state: 'grace' | 'completed' | 'cancelled';
  readonly gracePeriodSeconds: number;
  readonly endsAt: Date;
  readonly workflowId: string;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

const ROTATION_COLUMNS = `id, credential_id AS "credentialId", from_version AS "fromVersion", to_version AS "toVersion", state,
  grace_period_seconds AS "gracePeriodSeconds", ends_at AS "endsAt", workflow_id AS "workflowId", created_at AS "createdAt", finished_at AS "finishedAt"`;

/** Records a rotation in grace; the partial unique index refuses a second one per credential. */
export async function insertCredentialRotation(
  db: Queryable,
  r: { id: string; credentialId: string; fromVersion: number; toVersion: number; graceSeconds: number; workflowId: string },
): Promise<CredentialRotation> {
  const { rows } = await db.query<CredentialRotation>(
    `INSERT INTO credential_rotations (id, credential_id, from_version, to_version, state, grace_period_seconds, ends_at, workflow_id)
     VALUES ($1, $2, $3, $4, 'grace', $5::integer, now() + make_interval(secs => $5::integer), $6) RETURNING ${ROTATION_COLUMNS}`,
    [r.id, r.credentialId, r.fromVersion, r.toVersion, r.graceSeconds, r.workflowId],
  );
  return rows[0]!;
}

export async function getCredentialRotation(db: Queryable, id: string): Promise<CredentialRotation | null> {
  const { rows } = await db.query<CredentialRotation>(`SELECT ${ROTATION_COLUMNS} FROM credential_rotations WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

/** The credential's rotation in grace, if any. */
export async function credentialRotationInGrace(db: Queryable, credentialId: string): Promise<CredentialRotation | null> {
  const { rows } = await db.query<CredentialRotation>(`SELECT ${ROTATION_COLUMNS} FROM credential_rotations WHERE credential_id = $1 AND state = 'grace'`, [
    credentialId,
  ]);
  return rows[0] ?? null;
}

/** Ends a rotation in grace. False when it was not in grace. */
export async function endCredentialRotation(db: Queryable, id: string, state: 'completed' | 'cancelled'): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE credential_rotations SET state = $2, finished_at = now() WHERE id = $1 AND state = 'grace'`, [id, state]);
  return rowCount === 1;
}
