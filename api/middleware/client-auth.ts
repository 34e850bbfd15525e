import type { NextFunction, Request, Response } from 'express';
import { KeyRefusal, type ClientKeys } from '../client-keys';
import { HttpError } from '../http-error';

// Only the holder of a key learns why it stopped working; an unknown key reveals nothing.
const REFUSAL_MESSAGES: Record<KeyRefusal, string> = {
  [KeyRefusal.Unknown]: 'Incorrect API key provided.',
  [KeyRefusal.Revoked]: 'This API key has been revoked.',
  [KeyRefusal.Disabled]: 'This API key is disabled.',
  [KeyRefusal.Expired]: 'This API key has expired.',
  [KeyRefusal.Rotated]: 'This API key was rotated and its grace period has ended; use its successor.',
};

/** Requires `Authorization: Bearer <client key>`; puts the `ClientKey` (with its merged policy) on `res.locals.key`. */
export function clientAuth(keys: ClientKeys) {
  return async function clientAuthMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    const secret = bearer(req);
    if (!secret) {
      throw new HttpError(401, 'Missing API key. Send it as "Authorization: Bearer <key>".', { code: 'missing_api_key' });
    }
    const check = await keys.authenticate(secret);
    if (!check.ok) throw new HttpError(401, REFUSAL_MESSAGES[check.reason], { code: 'invalid_api_key' });
    res.locals.key = check.key;
    if (check.key.sunsetAt) setDeprecationHeaders(res, check.key.deprecatedAt ?? check.key.sunsetAt, check.key.sunsetAt);
    next();
  };
}

/**
 * A key in a rotation's grace period says so on every response: `Deprecation` (RFC 9745, a
 * structured-field date: `@<unix seconds>`), `Sunset` (RFC 8594, an HTTP-date) and
 * `x-switchyard-key-expires-at` (ISO 8601), all before the handler runs so errors carry them too.
 */
function setDeprecationHeaders(res: Response, deprecatedAt: Date, sunsetAt: Date): void {
  res.setHeader('deprecation', `@${Math.floor(deprecatedAt.getTime() / 1000)}`);
  res.setHeader('sunset', sunsetAt.toUTCString());
  res.setHeader('x-switchyard-key-expires-at', sunsetAt.toISOString());
}

/** The bearer token of a request, or undefined. */
export function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
