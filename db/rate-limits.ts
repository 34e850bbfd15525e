import type { Pool } from 'pg';
import type { CounterDelta, CounterTotals, Limits, RateLimitScope, RateLimitStore, ScopeRef } from '../ratelimit/store';

/** A configured limit, as the admin API shows it. */
export interface RateLimitRow extends ScopeRef, Limits {
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface LimitRecord {
  scope: RateLimitScope;
  scope_id: string;
  rpm: number | null;
  tpm: number | null;
  created_at: Date;
  updated_at: Date;
}

function toRow(r: LimitRecord): RateLimitRow {
  return { scope: r.scope, scopeId: r.scope_id, rpm: r.rpm, tpm: r.tpm, createdAt: r.created_at, updatedAt: r.updated_at };
}

const SCOPE_EXISTS: Record<RateLimitScope, string> = {
  key: 'SELECT 1 FROM api_keys WHERE id = $1',
  tenant: 'SELECT 1 FROM tenants WHERE id = $1',
};

/** Whether the key or tenant a limit would apply to exists. */
export async function scopeExists(pool: Pool, ref: ScopeRef): Promise<boolean> {
  const { rowCount } = await pool.query(SCOPE_EXISTS[ref.scope], [ref.scopeId]);
  return (rowCount ?? 0) > 0;
}

export async function getRateLimit(pool: Pool, ref: ScopeRef): Promise<RateLimitRow | null> {
  const { rows } = await pool.query<LimitRecord>('SELECT * FROM rate_limits WHERE scope = $1 AND scope_id = $2', [ref.scope, ref.scopeId]);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Creates or replaces a scope's limits (at least one of rpm and tpm must be set). */
export async function putRateLimit(pool: Pool, ref: ScopeRef, limits: Limits): Promise<{ row: RateLimitRow; created: boolean }> {
  const { rows } = await pool.query<LimitRecord & { created: boolean }>(
    `INSERT INTO rate_limits (scope, scope_id, rpm, tpm) VALUES ($1, $2, $3, $4)
     ON CONFLICT (scope, scope_id) DO UPDATE SET rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm, updated_at = now()
     RETURNING *, (xmax = 0) AS created`,
    [ref.scope, ref.scopeId, limits.rpm, limits.tpm],
  );
  return { row: toRow(rows[0]!), created: rows[0]!.created };
}

/** Removes a scope's limits; false when it had none. */
export async function deleteRateLimit(pool: Pool, ref: ScopeRef): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM rate_limits WHERE scope = $1 AND scope_id = $2', [ref.scope, ref.scopeId]);
  return (rowCount ?? 0) > 0;
}

/**
 * Adds every delta to its window row and reads the totals back, with the previous window's, in
 * one statement. Rows are written in (scope, scope_id, window) order, so two instances syncing
 * overlapping scopes lock rows in the same order and cannot deadlock.
 */
const ADD_COUNTS = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS t(scope, scope_id, window_ms, requests, tokens)
), up AS (
  INSERT INTO rate_limit_counters AS c (scope, scope_id, window_start, requests, tokens)
  SELECT scope, scope_id, to_timestamp(window_ms / 1000.0), requests, tokens FROM input ORDER BY scope, scope_id, window_ms
  ON CONFLICT (scope, scope_id, window_start)
  DO UPDATE SET requests = c.requests + EXCLUDED.requests, tokens = c.tokens + EXCLUDED.tokens
  RETURNING c.scope, c.scope_id, c.window_start, c.requests, c.tokens
)
SELECT up.scope, up.scope_id, (extract(epoch FROM up.window_start) * 1000)::bigint AS window_ms, up.requests, up.tokens,
       coalesce(p.requests, 0) AS prev_requests, coalesce(p.tokens, 0) AS prev_tokens
FROM up LEFT JOIN rate_limit_counters p
  ON p.scope = up.scope AND p.scope_id = up.scope_id AND p.window_start = up.window_start - interval '1 minute'`;

/** The Postgres {@link RateLimitStore}: `rate_limits` for configuration, `rate_limit_counters` for counts. */
export class PgRateLimitStore implements RateLimitStore {
  constructor(private readonly pool: Pool) {}

  async findLimits(refs: readonly ScopeRef[]): Promise<ReadonlyArray<ScopeRef & Limits>> {
    if (refs.length === 0) return [];
    const { rows } = await this.pool.query<LimitRecord>(
      'SELECT scope, scope_id, rpm, tpm FROM rate_limits WHERE (scope, scope_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))',
      [refs.map((r) => r.scope), refs.map((r) => r.scopeId)],
    );
    return rows.map((r) => ({ scope: r.scope, scopeId: r.scope_id, rpm: r.rpm, tpm: r.tpm }));
  }

  async addCounts(deltas: readonly CounterDelta[]): Promise<readonly CounterTotals[]> {
    if (deltas.length === 0) return [];
    const { rows } = await this.pool.query<{
      scope: RateLimitScope;
      scope_id: string;
      window_ms: string;
      requests: string;
      tokens: string;
      prev_requests: string;
      prev_tokens: string;
    }>(ADD_COUNTS, [
      deltas.map((d) => d.scope),
      deltas.map((d) => d.scopeId),
      deltas.map((d) => d.windowStart),
      deltas.map((d) => d.delta.requests),
      deltas.map((d) => Math.round(d.delta.tokens)),
    ]);
    return rows.map((r) => ({
      scope: r.scope,
      scopeId: r.scope_id,
      windowStart: Number(r.window_ms),
      current: { requests: Number(r.requests), tokens: Number(r.tokens) },
      previous: { requests: Number(r.prev_requests), tokens: Number(r.prev_tokens) },
    }));
  }

  async pruneCounters(before: number): Promise<void> {
    await this.pool.query('DELETE FROM rate_limit_counters WHERE window_start < to_timestamp($1 / 1000.0)', [before]);
  }
}
