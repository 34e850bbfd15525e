import { tokenCostUnits, unitsToUsd, usdToUnits } from './usd';

export const PriceKind = {
  Chat: 'chat',
  Embedding: 'embedding',
} as const;
export type PriceKind = (typeof PriceKind)[keyof typeof PriceKind];

/**
 * One version of a model's price. Amounts are exact decimal strings in USD per million tokens
 * (as `pg` returns `numeric`); never parse them with `Number` for arithmetic, use prices/usd.ts.
 */
export interface Price {
  /** `prices.id` (a bigint, as a string). Usage records keep it: the version they were charged at. */
  readonly id: string;
  /** Upstream model id, e.g. `gpt-4o-mini` or `anthropic.claude-3-5-haiku-20241022-v1:0`. */
  readonly model: string;
  readonly kind: PriceKind;
  readonly inputPerMTokUsd: string;
  /** Prompt-cache read price; `null` = billed at the input price. */
  readonly cachedInputPerMTokUsd: string | null;
  readonly outputPerMTokUsd: string;
  /** The model's own output cap, used to reserve when a request sets no max_tokens; `null` = unknown. */
  readonly maxOutputTokens: number | null;
  /** `seed` (prices/prices.yaml) or `admin` (edited through the admin API). */
  readonly source: 'seed' | 'admin';
  readonly createdAt: Date;
}

/** Token counts as providers report them, in OpenAI's convention. */
export interface TokenUsage {
  /** All prompt tokens, INCLUDING the cached ones (OpenAI `prompt_tokens`). */
  readonly inputTokens: number;
  /** The part of `inputTokens` read from the prompt cache; default 0. */
  readonly cachedInputTokens?: number;
  readonly outputTokens: number;
}

/**
 * The actual cost of a call: uncached input at the input price, cached input at the cache-read
 * price, output at the output price. Each part rounds up to 1e-10 USD.
 *
 * @returns an exact decimal USD string, e.g. `"0.00042"`.
 * @throws RangeError for negative or non-integer token counts.
 */
export function usageCostUsd(price: Price, usage: TokenUsage): string {
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const cachedPrice = price.cachedInputPerMTokUsd ?? price.inputPerMTokUsd;
  const units =
    tokenCostUnits(uncached, usdToUnits(price.inputPerMTokUsd)) +
    tokenCostUnits(cached, usdToUnits(cachedPrice)) +
    tokenCostUnits(usage.outputTokens, usdToUnits(price.outputPerMTokUsd));
  return unitsToUsd(units);
}
