import type { Admission, LimitSnapshot } from './rate-limiter';

/**
 * A duration the way OpenAI's `x-ratelimit-reset-*` headers (Go's `time.Duration`) write it,
 * to the millisecond: `0s`, `250ms`, `6s`, `1.5s`, `1m0s`, `1m59.5s`.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const minutes = Math.floor(total / 60_000);
  const seconds = (total % 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  return minutes > 0 ? `${minutes}m${s}` : s;
}

/**
 * OpenAI's rate-limit headers for the measures that have a limit: `x-ratelimit-limit-*`,
 * `x-ratelimit-remaining-*` (after this request) and `x-ratelimit-reset-*` (until the whole
 * limit is available again, in {@link formatDuration} form), for `requests` and `tokens`.
 */
export function rateLimitHeaders(admission: Pick<Admission, 'requests' | 'tokens'>): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (suffix: string, s: LimitSnapshot | undefined): void => {
    if (!s) return;
    out[`x-ratelimit-limit-${suffix}`] = String(s.limit);
    out[`x-ratelimit-remaining-${suffix}`] = String(s.remaining);
    out[`x-ratelimit-reset-${suffix}`] = formatDuration(s.resetMs);
  };
  put('requests', admission.requests);
  put('tokens', admission.tokens);
  return out;
}

/** `Retry-After` in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
