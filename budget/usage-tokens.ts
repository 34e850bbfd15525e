import type { TokenUsage } from '../prices/price';

/** The usage fields the gateway reads from an OpenAI-shaped chat or embeddings response. */
export interface OpenAIUsageLike {
  readonly prompt_tokens?: number | null;
  readonly completion_tokens?: number | null;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number | null } | null;
}

/**
 * Token counts in the ledger's terms from a response's `usage`; `undefined` when the upstream
 * reported none (settlement then counts the tokens itself).
 *
 * Pure and free of Node imports: workflow code calls it inside the sandbox.
 */
export function tokenUsageOf(usage: OpenAIUsageLike | null | undefined): TokenUsage | undefined {
  if (!usage || typeof usage.prompt_tokens !== 'number') return undefined;
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens ?? 0,
    cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}
