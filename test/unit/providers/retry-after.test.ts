import { MAX_RETRY_AFTER_MS, parseRetryAfterMs } from '../../../providers/retry-after';

const NOW = Date.parse('2026-11-28T12:00:00Z');

describe('parseRetryAfterMs', () => {
  it('reads retry-after-ms first, fractional allowed', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '1500.4', 'retry-after': '30' }), NOW)).toBe(1500);
  });

  it('falls back to retry-after when retry-after-ms is unparsable', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }), NOW)).toBe(2000);
  });

  it('reads retry-after as (fractional) seconds', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '0.25' }), NOW)).toBe(250);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '7' }), NOW)).toBe(7000);
  });

  it('reads retry-after as an HTTP date relative to now', () => {
    const headers = new Headers({ 'retry-after': new Date(NOW + 12_000).toUTCString() });
    expect(parseRetryAfterMs(headers, NOW)).toBe(12_000);
  });

  it('ignores negative delays and past dates', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '-1' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '-5' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ 'retry-after': new Date(NOW - 5_000).toUTCString() }), NOW)).toBeUndefined();
  });

  it('ignores delays over 60 s but accepts exactly 60 s and zero', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '61' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '60001' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '60' }), NOW)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '0' }), NOW)).toBe(0);
  });

  it('does not fall back to retry-after when retry-after-ms parsed but is out of range', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '120000', 'retry-after': '3' }), NOW)).toBeUndefined();
  });

  it('returns undefined for garbage, empty values and missing headers', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'whenever' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '  ' }), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers(), NOW)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfterMs(null, NOW)).toBeUndefined();
  });

  it('reads plain header records case-insensitively (Smithy responses)', () => {
    expect(parseRetryAfterMs({ 'Retry-After': '4' }, NOW)).toBe(4000);
    expect(parseRetryAfterMs({ 'retry-after-ms': ['250'] }, NOW)).toBe(250);
    expect(parseRetryAfterMs({ 'x-amzn-requestid': 'abc' }, NOW)).toBeUndefined();
  });
});
