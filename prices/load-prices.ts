import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/load-config';
import { PriceKind } from './price';
import { insertPriceVersion, type PriceInput } from './price-store';
import { usdToUnits } from './usd';

/** The committed seed, relative to the project root. */
export const DEFAULT_PRICES_FILE = 'prices/prices.yaml';

/**
 * The committed seed's absolute path, from the sources (`prices/`) and from the build
 * (`dist/prices/`, where tsc copies no YAML): both resolve to `<project root>/prices/prices.yaml`.
 */
export function defaultPricesPath(): string {
  const inDist = __dirname.split(path.sep).includes('dist');
  return path.resolve(__dirname, inDist ? '../..' : '..', DEFAULT_PRICES_FILE);
}

const usdPerMillion = z.number().nonnegative().finite().max(1_000_000);

const entrySchema = z
  .object({
    models: z.array(z.string().min(1)).min(1),
    kind: z.enum([PriceKind.Chat, PriceKind.Embedding]).default(PriceKind.Chat),
    input: usdPerMillion,
    cached_input: usdPerMillion.optional(),
    output: usdPerMillion,
    max_output_tokens: z.number().int().positive().optional(),
  })
  .strict();

const fileSchema = z
  .object({
    // YAML reads an unquoted 2025-11-30 as a string with the `yaml` package's default schema.
    taken_on: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD date'),
    prices: z.array(entrySchema).min(1),
  })
  .strict();

/** A validated seed file: one entry per model id, aliases expanded. */
export interface PriceList {
  /** The date the list prices were taken (YYYY-MM-DD). */
  readonly takenOn: string;
  readonly prices: readonly PriceInput[];
}

/** Reads and validates a price file. Throws `ConfigError` naming the file and the bad field. */
export function loadPriceFile(path: string): PriceList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read price file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  return parsePriceList(raw, path);
}

/** Validates an already-parsed price list. `source` names it in error messages. */
export function parsePriceList(raw: unknown, source = 'price list'): PriceList {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new ConfigError(`${source}: ${issues.join('; ')}`);
  }
  const seen = new Map<string, number>();
  const prices: PriceInput[] = [];
  parsed.data.prices.forEach((entry, i) => {
    entry.models.forEach((model, j) => {
      const first = seen.get(model);
      if (first !== undefined) {
        throw new ConfigError(`${source}: prices.${i}.models.${j}: "${model}" is already priced by prices.${first}`);
      }
      seen.set(model, i);
      prices.push(
        Object.freeze({
          model,
          kind: entry.kind,
          inputPerMTokUsd: entry.input,
          cachedInputPerMTokUsd: entry.cached_input ?? null,
          outputPerMTokUsd: entry.output,
          maxOutputTokens: entry.max_output_tokens ?? null,
        }),
      );
    });
  });
  return Object.freeze({ takenOn: parsed.data.taken_on, prices: Object.freeze(prices) });
}

export interface SeedResult {
  /** Models that got a new price version (first seed, or the file changed). */
  readonly written: string[];
  /** Models whose file entry matches the last seeded version. */
  readonly unchanged: number;
}

// Any constant; the same in every process that seeds (api and worker may start together).
const SEED_LOCK_ID = 724_002;

interface SeedRow {
  model: string;
  kind: string;
  input_per_mtok: string;
  cached_input_per_mtok: string | null;
  output_per_mtok: string;
  max_output_tokens: number | null;
}

/**
 * Seeds the `prices` table from a validated list, idempotently, in one transaction. A model
 * gets a new version only when its entry differs from the last version written BY THE SEED,
 * so an admin's edit is not undone at every restart, only when the committed file changes
 * that model again. Models missing from the file keep their prices.
 */
export async function seedPrices(pool: Pool, list: PriceList): Promise<SeedResult> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK_ID]);
    const { rows } = await client.query<SeedRow>(
      `SELECT DISTINCT ON (model) model, kind, input_per_mtok, cached_input_per_mtok, output_per_mtok, max_output_tokens
       FROM prices WHERE source = 'seed' ORDER BY model, id DESC`,
    );
    const lastSeeded = new Map(rows.map((r) => [r.model, r]));
    const written: string[] = [];
    for (const price of list.prices) {
      const last = lastSeeded.get(price.model);
      if (last && samePrice(last, price)) continue;
      await insertPriceVersion(client, price, 'seed');
      written.push(price.model);
    }
    await client.query('COMMIT');
    return { written, unchanged: list.prices.length - written.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function samePrice(row: SeedRow, price: PriceInput): boolean {
  const cached = price.cachedInputPerMTokUsd ?? null;
  return (
    row.kind === price.kind &&
    usdToUnits(row.input_per_mtok) === usdToUnits(price.inputPerMTokUsd) &&
    usdToUnits(row.output_per_mtok) === usdToUnits(price.outputPerMTokUsd) &&
    (row.cached_input_per_mtok === null ? cached === null : cached !== null && usdToUnits(row.cached_input_per_mtok) === usdToUnits(cached)) &&
    row.max_output_tokens === (price.maxOutputTokens ?? null)
  );
}
