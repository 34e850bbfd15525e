/**
 * Retry-After parsing shared by every provider's error classifier, following the rules
 * openai-node applies before its own retries: `retry-after-ms` first, then `retry-after` as
 * (possibly fractional) seconds or as an HTTP date.
 */

/** Longest delay we pass on; a larger hint is treated as absent (the retry policy's own backoff applies). */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Response headers as the SDKs expose them: a WHATWG `Headers` (openai, anthropic) or a plain
 * record (Smithy's `HttpResponse.headers` on Bedrock errors).
 */
export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>> | null | undefined;

/**
 * The delay the upstream asked for, in milliseconds, or `undefined` when it gave none or gave
 * one that is negative, unparsable or longer than {@link MAX_RETRY_AFTER_MS}.
 *
 * @param nowMs clock used to turn an HTTP date into a delay (default `Date.now()`).
 */
export function parseRetryAfterMs(headers: HeaderSource, nowMs: number = Date.now()): number | undefined {
  const millisHeader = readHeader(headers, 'retry-after-ms');
  if (millisHeader !== undefined) {
    const millis = parseFloat(millisHeader);
    if (!Number.isNaN(millis)) return withinBounds(millis);
  }

  const header = readHeader(headers, 'retry-after');
  if (header === undefined) return undefined;
  const seconds = parseFloat(header);
  if (!Number.isNaN(seconds)) return withinBounds(seconds * 1000);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return withinBounds(date - nowMs);
}

function withinBounds(ms: number): number | undefined {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_RETRY_AFTER_MS) return undefined;
  return Math.round(ms);
}

/** Case-insensitive header lookup over either header shape; empty values count as absent. */
function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  let value: string | readonly string[] | null | undefined;
  if (isHeadersLike(headers)) {
    value = headers.get(name);
  } else {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  const text = typeof value === 'string' ? value : value?.[0];
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function isHeadersLike(headers: NonNullable<HeaderSource>): headers is { get(name: string): string | null } {
  return typeof (headers as { get?: unknown }).get === 'function';
}
