import type { NextFunction, Request, Response } from 'express';
import type { ClientKeys } from '../client-keys';
import { HttpError } from '../http-error';

/** Requires `Authorization: Bearer <client key>`; puts the key record on `res.locals.key`. */
export function clientAuth(keys: ClientKeys) {
  return async function clientAuthMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    const secret = bearer(req);
    if (!secret) {
      throw new HttpError(401, 'Missing API key. Send it as "Authorization: Bearer <key>".', { code: 'missing_api_key' });
    }
    const record = await keys.authenticate(secret);
    if (!record) throw new HttpError(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
    res.locals.key = record;
    next();
  };
}

/** The bearer token of a request, or undefined. */
export function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
