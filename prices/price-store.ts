import type { Pool, PoolClient } from 'pg';
import type { Price, PriceKind } from './price';
import { normalizeUsd } from './usd';

type Queryable = Pool | PoolClient;

interface PriceRow {
  id: string;
  model: string;
  kind: PriceKind;
  input_per_mtok: string;
  cached_input_per_mtok: string | null;
  output_per_mtok: string;
  max_output_tokens: number | null;
  source: 'seed' | 'admin';
  created_at: Date;
}

export const PRICE_COLUMNS = 'id, model, kind, input_per_mtok, cached_input_per_mtok, output_per_mtok, max_output_tokens, source, created_at';

export function toPrice(r: PriceRow): Price {
  return Object.freeze({
    id: r.id,
    model: r.model,
    kind: r.kind,
    inputPerMTokUsd: normalizeUsd(r.input_per_mtok),
    cachedInputPerMTokUsd: r.cached_input_per_mtok === null ? null : normalizeUsd(r.cached_input_per_mtok),
    outputPerMTokUsd: normalizeUsd(r.output_per_mtok),
    maxOutputTokens: r.max_output_tokens,
    source: r.source,
    createdAt: r.created_at,
  });
}

// Bedrock cross-region inference profiles prefix the model id with a geography
// (`us.anthropic.claude-…`); they bill at the base model's price.
const BEDROCK_GEO_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\.(?=[a-z]+\.)/;

/** The ids a model's price may be stored under, most specific first. */
export function priceLookupKeys(model: string): string[] {
  const stripped = model.replace(BEDROCK_GEO_PREFIX, '');
  return stripped === model ? [model] : [model, stripped];
}

/**
 * The current price of an upstream model id; `null` when none is known (the caller refuses
 * budgeted requests rather than charging zero).
 */
export async function findCurrentPrice(db: Queryable, model: string): Promise<Price | null> {
  const keys = priceLookupKeys(model);
  const { rows } = await db.query<PriceRow>(
    `SELECT ${PRICE_COLUMNS} FROM prices WHERE model = ANY($1::text[]) AND superseded_at IS NULL
     ORDER BY array_position($1::text[], model) LIMIT 1`,
    [keys],
  );
  return rows[0] ? toPrice(rows[0]) : null;
}

/** A price version by id (current or superseded); `null` when unknown. */
export async function findPriceById(db: Queryable, id: string): Promise<Price | null> {
  const { rows } = await db.query<PriceRow>(`SELECT ${PRICE_COLUMNS} FROM prices WHERE id = $1`, [id]);
  return rows[0] ? toPrice(rows[0]) : null;
}

/** Every current price, ordered by model. */
export async function listCurrentPrices(db: Queryable): Promise<Price[]> {
  const { rows } = await db.query<PriceRow>(`SELECT ${PRICE_COLUMNS} FROM prices WHERE superseded_at IS NULL ORDER BY model`);
  return rows.map(toPrice);
}

export interface PriceInput {
  readonly model: string;
  readonly kind: PriceKind;
  /** USD per million tokens; numbers are rounded to 10 decimals. */
  readonly inputPerMTokUsd: number | string;
  readonly cachedInputPerMTokUsd?: number | string | null;
  readonly outputPerMTokUsd: number | string;
  readonly maxOutputTokens?: number | null;
}

/**
 * Writes a new current version of a model's price and supersedes the previous one. Old
 * versions are kept: usage records point at the version they were charged at. Must run inside
 * a transaction when several versions are written together (the seed does).
 */
export async function insertPriceVersion(db: Queryable, input: PriceInput, source: 'seed' | 'admin'): Promise<Price> {
  // Two writers of the same model would otherwise both supersede and then collide on the
  // one-current-row index; the per-model lock makes the second wait and supersede the first.
  await db.query("SELECT pg_advisory_xact_lock(hashtext('price:' || $1))", [input.model]);
  await db.query('UPDATE prices SET superseded_at = now() WHERE model = $1 AND superseded_at IS NULL', [input.model]);
  const cached = input.cachedInputPerMTokUsd;
  const { rows } = await db.query<PriceRow>(
    `INSERT INTO prices (model, kind, input_per_mtok, cached_input_per_mtok, output_per_mtok, max_output_tokens, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${PRICE_COLUMNS}`,
    [
      input.model,
      input.kind,
      normalizeUsd(input.inputPerMTokUsd),
      cached === undefined || cached === null ? null : normalizeUsd(cached),
      normalizeUsd(input.outputPerMTokUsd),
      input.maxOutputTokens ?? null,
      source,
    ],
  );
  return toPrice(rows[0]!);
}

/** Sets a model's price from the admin API: one transaction, new version, old one superseded. */
export async function setPrice(pool: Pool, input: PriceInput): Promise<Price> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const price = await insertPriceVersion(client, input, 'admin');
    await client.query('COMMIT');
    return price;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
