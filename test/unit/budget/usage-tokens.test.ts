import { tokenUsageOf } from '../../../budget/usage-tokens';

describe('tokenUsageOf', () => {
  it('reads chat usage with cached tokens', () => {
    expect(tokenUsageOf({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 } })).toEqual({
      inputTokens: 10,
      outputTokens: 5,
      cachedInputTokens: 4,
    });
  });

  it('reads embeddings usage (no completion tokens) and reports none as undefined', () => {
    expect(tokenUsageOf({ prompt_tokens: 7 })).toEqual({ inputTokens: 7, outputTokens: 0, cachedInputTokens: 0 });
    expect(tokenUsageOf(undefined)).toBeUndefined();
    expect(tokenUsageOf(null)).toBeUndefined();
  });
});
