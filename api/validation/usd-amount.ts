import { z } from 'zod';
import { normalizeUsd } from '../../prices/usd';

/** Largest amount a `numeric(20,10)` column holds (10 integer digits). */
const MAX_USD = 1e10;

/**
 * A non-negative USD amount in a request body: a JSON number (`12.5`) or an exact decimal
 * string (`"12.5"`, at most 10 decimals), normalised to the ledger's decimal string form.
 */
export const usdAmount = z
  .union([
    z.number().finite().nonnegative().lt(MAX_USD),
    z.string().regex(/^\d{1,10}(\.\d{1,10})?$/, 'must be a non-negative decimal with at most 10 decimals'),
  ])
  .transform((value) => normalizeUsd(value));

/** A price in USD per million tokens: same forms, at most 1,000,000 (as the seed file allows). */
export const usdPerMillion = z
  .union([
    z.number().finite().nonnegative().max(1_000_000),
    z.string().regex(/^\d{1,7}(\.\d{1,10})?$/, 'must be a non-negative decimal with at most 10 decimals'),
  ])
  .transform((value) => normalizeUsd(value))
  .refine((value) => Number(value) <= 1_000_000, 'must be at most 1000000');
