/**
 * Narrowing helpers for request bodies, which arrive as `unknown` JSON.
 */

/** Thrown by request parsers when a body lacks what the dialect requires; rendered as a 400. */
export class BadRequestBody extends Error {
  override readonly name = 'BadRequestBody';
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is an array, else an empty array. */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value when it is a string, else undefined. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `record[key]` when `record` is an object, else undefined. */
export function field(record: unknown, key: string): unknown {
  return isRecord(record) ? record[key] : undefined;
}

/** The body as an object, or a {@link BadRequestBody} naming what was expected. */
export function requireRecord(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) throw new BadRequestBody('request body must be a JSON object');
  return body;
}

/** `body[key]` as a non-empty array, or a {@link BadRequestBody}. */
export function requireArray(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key];
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestBody(`'${key}' must be a non-empty array`);
  }
  return value;
}
