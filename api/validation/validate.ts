import type { z } from 'zod';
import { HttpError } from '../http-error';

/**
 * Parses `body` with `schema` or throws a 400 in OpenAI's words, naming the first bad field
 * as `param` in OpenAI's notation (`messages[0].content`).
 */
export function validateBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The request body must be a JSON object.', { code: 'invalid_request_body' });
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = formatPath(issue.path);
  // A union (e.g. a number-or-decimal-string amount) reports an absent field as invalid_union.
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && valueAt(body, issue.path) === undefined;
  const message = missing ? `Missing required parameter: '${param}'.` : `Invalid value for '${param}': ${issue.message}.`;
  return fail(message, param, missing ? 'missing_required_parameter' : issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value');
}

function fail(message: string, param: string, code: string): never {
  throw new HttpError(400, message, { param, code });
}

function valueAt(body: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = body;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(body)';
}
