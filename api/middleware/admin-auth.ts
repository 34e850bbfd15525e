import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';
import { bearer } from './client-auth';

/**
 * Closed by default: without a configured token every admin call is refused. Tokens are
 * compared as SHA-256 digests in constant time.
 */
export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  return function adminAuthMiddleware(req: Request, _res: Response, next: NextFunction): void {
    if (!expected) {
      throw new HttpError(403, 'The admin API is disabled: set SWITCHYARD_ADMIN_TOKEN to enable it.', { code: 'admin_disabled' });
    }
    const token = bearer(req);
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new HttpError(401, 'Invalid admin token.', { code: 'invalid_admin_token' });
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
