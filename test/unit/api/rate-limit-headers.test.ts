import { formatDuration, rateLimitHeaders, retryAfterSeconds } from '../../../ratelimit/headers';
import { estimateRequestTokens } from '../../../ratelimit/request-tokens';

describe('rate-limit headers', () => {
  it('writes durations like OpenAI (Go time.Duration, ms precision)', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(17)).toBe('17ms');
    expect(formatDuration(0.2)).toBe('1ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(8640)).toBe('8.64s');
    expect(formatDuration(60_000)).toBe('1m0s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(119_500)).toBe('1m59.5s');
  });

  it('sets only the measures that have a limit', () => {
    expect(rateLimitHeaders({ requests: { limit: 20, remaining: 3, resetMs: 61_000 } })).toEqual({
      'x-ratelimit-limit-requests': '20',
      'x-ratelimit-remaining-requests': '3',
      'x-ratelimit-reset-requests': '1m1s',
    });
    expect(Object.keys(rateLimitHeaders({ tokens: { limit: 1000, remaining: 0, resetMs: 250 } }))).toEqual([
      'x-ratelimit-limit-tokens',
      'x-ratelimit-remaining-tokens',
      'x-ratelimit-reset-tokens',
    ]);
    expect(rateLimitHeaders({})).toEqual({});
  });

  it('Retry-After is whole seconds, at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(2001)).toBe(3);
  });
});

describe('admission token estimate', () => {
  it('chat: characters / 4 plus framing per message plus the output cap × n', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }], max_tokens: 50, n: 2 };
    expect(estimateRequestTokens(body)).toBe(4 + 100 + 100);
    expect(estimateRequestTokens({ ...body, max_completion_tokens: 10 })).toBe(4 + 100 + 20);
  });

  it('chat: text parts by length, attachments at a flat allowance, never their bytes', () => {
    const content = [
      { type: 'text', text: 'abcdefgh' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(100_000)}` } },
    ];
    expect(estimateRequestTokens({ messages: [{ role: 'user', content }] })).toBe(4 + 85 + 2);
  });

  it('embeddings: strings by length, token arrays by count', () => {
    expect(estimateRequestTokens({ input: 'abcd'.repeat(10) })).toBe(10);
    expect(estimateRequestTokens({ input: ['abcd', 'abcdefgh'] })).toBe(3);
    expect(estimateRequestTokens({ input: [1, 2, 3] })).toBe(3);
    expect(estimateRequestTokens({ input: [[1, 2], [3]] })).toBe(3);
  });

  it('anything else counts 0 (validation answers it later)', () => {
    expect(estimateRequestTokens(null)).toBe(0);
    expect(estimateRequestTokens({ messages: 'nope' })).toBe(0);
    expect(estimateRequestTokens([1, 2])).toBe(0);
  });
});
