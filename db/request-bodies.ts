import type { Pool } from 'pg';
import type { Queryable } from './queryable';
import { storableJson, storableText } from './storable-json';

/** A tenant's body-logging setting. */
export interface BodyLoggingSetting {
  readonly tenantId: string;
  readonly enabled: boolean;
  /** Days a logged body is kept (1–365). */
  readonly retentionDays: number;
  readonly updatedAt: Date;
}

/** One logged request, as stored in `request_bodies`. */
export interface LoggedBody {
  readonly requestId: string;
  readonly tenantId: string;
  readonly keyId: string;
  readonly route: string;
  readonly model: string | null;
  readonly status: number;
  readonly requestBody: unknown;
  readonly responseBody: string | null;
  readonly truncated: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

interface SettingRow {
  tenant_id: string;
  enabled: boolean;
  retention_days: number;
  updated_at: Date;
}

function toSetting(r: SettingRow): BodyLoggingSetting {
  return { tenantId: r.tenant_id, enabled: r.enabled, retentionDays: r.retention_days, updatedAt: r.updated_at };
}

/** The tenant's setting, or null when none was ever set (logging off). */
export async function getBodyLogging(db: Queryable, tenantId: string): Promise<BodyLoggingSetting | null> {
  const { rows } = await db.query<SettingRow>('SELECT tenant_id, enabled, retention_days, updated_at FROM tenant_body_logging WHERE tenant_id = $1', [
    tenantId,
  ]);
  return rows[0] ? toSetting(rows[0]) : null;
}

/** Creates or replaces the tenant's setting. The caller checks that the tenant exists. */
export async function putBodyLogging(db: Queryable, input: { tenantId: string; enabled: boolean; retentionDays: number }): Promise<BodyLoggingSetting> {
  const { rows } = await db.query<SettingRow>(
    `INSERT INTO tenant_body_logging (tenant_id, enabled, retention_days) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET enabled = EXCLUDED.enabled, retention_days = EXCLUDED.retention_days, updated_at = now()
     RETURNING tenant_id, enabled, retention_days, updated_at`,
    [input.tenantId, input.enabled, input.retentionDays],
  );
  return toSetting(rows[0]!);
}

/**
 * Stores one request's bodies; `expires_at` = now + the retention in force at write time.
 * Idempotent per request id (a repeat write is ignored). A NUL or unpaired surrogate in either
 * body is stored as its escape text (`storableText`): Postgres refuses those characters, and a
 * logged copy with them escaped beats no copy at all.
 */
export async function insertLoggedBody(pool: Pool, input: Omit<LoggedBody, 'createdAt' | 'expiresAt'> & { readonly retentionDays: number }): Promise<void> {
  await pool.query(
    `INSERT INTO request_bodies (request_id, tenant_id, key_id, route, model, status, request_body, response_body, truncated, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, now() + make_interval(days => $10))
     ON CONFLICT (request_id) DO NOTHING`,
    [
      input.requestId,
      input.tenantId,
      input.keyId,
      input.route,
      input.model,
      input.status,
      input.requestBody === undefined ? null : JSON.stringify(storableJson(input.requestBody)),
      input.responseBody === null ? null : storableText(input.responseBody),
      input.truncated,
      input.retentionDays,
    ],
  );
}

interface BodyRow {
  request_id: string;
  tenant_id: string;
  key_id: string;
  route: string;
  model: string | null;
  status: number;
  request_body: unknown;
  response_body: string | null;
  truncated: boolean;
  created_at: Date;
  expires_at: Date;
}

/**
 * A page of the tenant's logged bodies, oldest first, after the request id `after` (keyset
 * pagination on (created_at, request_id)). Expired rows the retention run has not deleted yet
 * are not returned.
 */
export async function listLoggedBodies(pool: Pool, tenantId: string, opts: { after?: string; limit: number }): Promise<LoggedBody[]> {
  const { rows } = await pool.query<BodyRow>(
    `SELECT b.* FROM request_bodies b
     WHERE b.tenant_id = $1 AND b.expires_at > now()
       AND ($2::text IS NULL OR (b.created_at, b.request_id) > (SELECT created_at, request_id FROM request_bodies WHERE request_id = $2))
     ORDER BY b.created_at, b.request_id
     LIMIT $3`,
    [tenantId, opts.after ?? null, opts.limit],
  );
  return rows.map((r) => ({
    requestId: r.request_id,
    tenantId: r.tenant_id,
    keyId: r.key_id,
    route: r.route,
    model: r.model,
    status: r.status,
    requestBody: r.request_body,
    responseBody: r.response_body,
    truncated: r.truncated,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  }));
}

/**
 * Deletes up to `batchSize` expired rows (oldest expiry first). Safe to run concurrently and to
 * repeat: each call removes what has expired by then. Returns how many it deleted.
 */
export async function deleteExpiredBodies(pool: Pool, opts: { batchSize: number; now?: Date }): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM request_bodies WHERE request_id IN (
       SELECT request_id FROM request_bodies WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [opts.now ?? new Date(), opts.batchSize],
  );
  return rowCount ?? 0;
}
