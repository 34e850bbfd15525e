import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';

/** What the gateway knows about a key after authentication. Never holds the secret. */
export interface KeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly teamId: string | null;
  readonly name: string;
  readonly prefix: string;
  readonly expiresAt: Date | null;
  readonly disabled: boolean;
  readonly revoked: boolean;
}

export interface IssuedKey {
  readonly id: string;
  /** The secret, shown once. */
  readonly key: string;
  readonly name: string;
  readonly prefix: string;
  readonly tenantId: string;
  readonly createdAt: Date;
}

const KEY_PREFIX = 'sk-sy-';
const PREFIX_LENGTH = KEY_PREFIX.length + 6;

/** SHA-256 of the secret: what the database stores and looks up. */
export function hashKey(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Issues a new random key (256 bits) and stores only its digest. */
export async function issueKey(pool: Pool, opts: { name: string; tenantId?: string; teamId?: string | null }): Promise<IssuedKey> {
  const id = `key_${randomBytes(8).toString('hex')}`;
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const prefix = key.slice(0, PREFIX_LENGTH);
  const { rows } = await pool.query<{ created_at: Date; tenant_id: string }>(
    `INSERT INTO api_keys (id, tenant_id, team_id, name, key_prefix, key_hash)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at, tenant_id`,
    [id, opts.tenantId ?? 'default', opts.teamId ?? null, opts.name, prefix, hashKey(key)],
  );
  const row = rows[0]!;
  return { id, key, name: opts.name, prefix, tenantId: row.tenant_id, createdAt: row.created_at };
}

/** Marks a key revoked. Returns false when no live key has that id. */
export async function revokeKey(pool: Pool, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return (rowCount ?? 0) > 0;
}

/** Looks a key up by the digest of its secret; null when unknown. */
export async function findKeyByHash(pool: Pool, digest: Buffer): Promise<KeyRecord | null> {
  const { rows } = await pool.query<{
    id: string;
    tenant_id: string;
    team_id: string | null;
    name: string;
    key_prefix: string;
    expires_at: Date | null;
    disabled_at: Date | null;
    revoked_at: Date | null;
  }>('SELECT id, tenant_id, team_id, name, key_prefix, expires_at, disabled_at, revoked_at FROM api_keys WHERE key_hash = $1', [digest]);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    tenantId: r.tenant_id,
    teamId: r.team_id,
    name: r.name,
    prefix: r.key_prefix,
    expiresAt: r.expires_at,
    disabled: r.disabled_at !== null,
    revoked: r.revoked_at !== null,
  };
}
