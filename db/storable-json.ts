/**
 * Characters Postgres refuses: NUL in `text` and `jsonb` (as the escape `\u0000`), and a UTF-16
 * surrogate without its pair in `jsonb` (JSON.stringify writes it as an escape like `\ud800`,
 * which Postgres cannot convert to UTF-8). Matched per UTF-16 code unit, hence no `u` flag.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this matches
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `text` with each NUL and unpaired surrogate replaced by its JSON escape as visible text (the six
 * characters `\u0000`, `\ud800`, …), so a stored copy still shows where the odd character was. A
 * literal `\u0000` typed by the client reads the same: this is for reading back, not replaying.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A copy of a parsed JSON value that Postgres can store as `jsonb`: every string, object key
 * included, passed through `storableText`. Recursive: callers pass bodies whose depth the
 * API already bounds (MAX_JSON_DEPTH).
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines own properties, so a `__proto__` key stays a key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}
