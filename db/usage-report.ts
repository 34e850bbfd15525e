import type { Pool } from 'pg';
import { normalizeUsd } from '../prices/usd';

/**
 * Usage reports over `usage_records`: raw rows read in keyset-paginated batches (a year of usage
 * never sits in memory), or sums per group from one aggregate query.
 */

/** Filters; every one is optional. `from` is inclusive, `to` exclusive. */
export interface UsageFilter {
  readonly tenantId?: string;
  readonly teamId?: string;
  readonly keyId?: string;
  readonly model?: string;
  readonly provider?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export const UsageDimension = {
  Tenant: 'tenant',
  Team: 'team',
  Key: 'key',
  Model: 'model',
  Provider: 'provider',
  /** The UTC calendar day of the record, `YYYY-MM-DD`. */
  Day: 'day',
  /** One group per tag key and value; a record with several tags counts once per tag. */
  Tag: 'tag',
} as const;
export type UsageDimension = (typeof UsageDimension)[keyof typeof UsageDimension];

/** Each dimension's output columns and the SQL that computes them (`u` = usage_records). */
const DIMENSION_COLUMNS: Readonly<Record<UsageDimension, ReadonlyArray<readonly [column: string, sql: string]>>> = {
  tenant: [['tenant_id', 'u.tenant_id']],
  team: [['team_id', 'u.team_id']],
  key: [['key_id', 'u.key_id']],
  model: [['model', 'u.model']],
  provider: [['provider', 'u.provider']],
  day: [['day', `to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`]],
  tag: [
    ['tag_key', 'tag.key'],
    ['tag_value', 'tag.value'],
  ],
};

/** The group columns a `groupBy` produces, in order (CSV headers use them). */
export function groupColumns(groupBy: readonly UsageDimension[]): string[] {
  return groupBy.flatMap((d) => DIMENSION_COLUMNS[d].map(([column]) => column));
}

/** Sums over one group; the group's columns are named by {@link groupColumns}. */
export interface UsageGroup {
  readonly keys: Readonly<Record<string, string | null>>;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  /** Exact decimal USD. */
  readonly costUsd: string;
}

/** One usage record as reports show it. */
export interface UsageRow {
  readonly id: string;
  readonly requestId: string;
  readonly createdAt: string;
  readonly tenantId: string;
  readonly teamId: string | null;
  readonly keyId: string;
  readonly model: string;
  readonly provider: string | null;
  readonly deployment: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly costUsd: string;
  readonly latencyMs: number | null;
  readonly status: string;
  readonly tags: Readonly<Record<string, string>>;
}

function whereClause(filter: UsageFilter, params: unknown[]): string {
  const conditions: string[] = [];
  const add = (sql: string, value: unknown): void => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.tenantId !== undefined) add('u.tenant_id = ?', filter.tenantId);
  if (filter.teamId !== undefined) add('u.team_id = ?', filter.teamId);
  if (filter.keyId !== undefined) add('u.key_id = ?', filter.keyId);
  if (filter.model !== undefined) add('u.model = ?', filter.model);
  if (filter.provider !== undefined) add('u.provider = ?', filter.provider);
  if (filter.from !== undefined) add('u.created_at >= ?', filter.from);
  if (filter.to !== undefined) add('u.created_at < ?', filter.to);
  return conditions.length ? conditions.join(' AND ') : 'true';
}

/**
 * Sums per group, ordered by the group columns. With `tag`, untagged records form the group
 * whose tag columns are null. Runs one aggregate query: the result has one row per group, not
 * per record.
 */
export async function aggregateUsage(pool: Pool, filter: UsageFilter, groupBy: readonly UsageDimension[]): Promise<UsageGroup[]> {
  const params: unknown[] = [];
  const where = whereClause(filter, params);
  const dims = groupBy.flatMap((d) => DIMENSION_COLUMNS[d]);
  const select = dims.map(([column, sql]) => `${sql} AS ${column}`);
  const positions = dims.map((_, i) => String(i + 1));
  const join = groupBy.includes(UsageDimension.Tag) ? 'LEFT JOIN LATERAL jsonb_each_text(u.tags) AS tag(key, value) ON true' : '';
  const { rows } = await pool.query<Record<string, string | null> & SumColumns>(
    `SELECT ${[...select, SUMS].join(', ')}
     FROM usage_records u ${join}
     WHERE ${where}
     ${positions.length ? `GROUP BY ${positions.join(', ')} ORDER BY ${positions.join(', ')}` : ''}`,
    params,
  );
  return rows.map((r) => ({
    keys: Object.fromEntries(dims.map(([column]) => [column, r[column] ?? null])),
    requests: Number(r.requests),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cachedInputTokens: Number(r.cached_input_tokens),
    costUsd: normalizeUsd(r.cost_usd),
  }));
}

interface SumColumns {
  requests: string;
  input_tokens: string;
  output_tokens: string;
  cached_input_tokens: string;
  cost_usd: string;
}

const SUMS = `count(*) AS requests, COALESCE(sum(u.input_tokens), 0) AS input_tokens, COALESCE(sum(u.output_tokens), 0) AS output_tokens,
  COALESCE(sum(u.cached_input_tokens), 0) AS cached_input_tokens, COALESCE(sum(u.cost_usd), 0) AS cost_usd`;

interface UsageRecordRow {
  id: string;
  request_id: string;
  created_at: Date;
  tenant_id: string;
  team_id: string | null;
  key_id: string;
  model: string;
  provider: string | null;
  deployment: string | null;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: string;
  latency_ms: number | null;
  status: string;
  tags: Record<string, string>;
}

/**
 * The matching usage records in id order, `batchSize` per query (keyset pagination on the
 * primary key: each batch is a fresh, short, index-driven query, so no cursor or transaction
 * stays open while a slow client reads). Records inserted during the export with an id past
 * the current batch are included.
 *
 * @param batchSize rows per query, default 1000.
 */
export async function* usageRecordBatches(pool: Pool, filter: UsageFilter, opts: { batchSize?: number } = {}): AsyncGenerator<UsageRow[]> {
  const batchSize = opts.batchSize ?? 1000;
  const params: unknown[] = [];
  const where = whereClause(filter, params);
  const sql = `SELECT u.id, u.request_id, u.created_at, u.tenant_id, u.team_id, u.key_id, u.model, u.provider, u.deployment,
      u.input_tokens, u.output_tokens, u.cached_input_tokens, u.cost_usd, u.latency_ms, u.status, u.tags
    FROM usage_records u
    WHERE ${where} AND u.id > $${params.length + 1}
    ORDER BY u.id LIMIT $${params.length + 2}`;
  let after = '0';
  for (;;) {
    const { rows } = await pool.query<UsageRecordRow>(sql, [...params, after, batchSize]);
    if (rows.length === 0) return;
    yield rows.map(toUsageRow);
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

function toUsageRow(r: UsageRecordRow): UsageRow {
  return {
    id: r.id,
    requestId: r.request_id,
    createdAt: r.created_at.toISOString(),
    tenantId: r.tenant_id,
    teamId: r.team_id,
    keyId: r.key_id,
    model: r.model,
    provider: r.provider,
    deployment: r.deployment,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cachedInputTokens: r.cached_input_tokens,
    costUsd: normalizeUsd(r.cost_usd),
    latencyMs: r.latency_ms,
    status: r.status,
    tags: r.tags,
  };
}
