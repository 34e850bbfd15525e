import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';
import { bearer } from './client-auth';

/**
 * Closed by default: without a configured token every admin call is refused. Tokens are
 * compared as SHA-256 digests in constant time. On success `res.locals.adminActor` names the
 * caller for the audit log.
 */
export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  const actor = expected ? adminActor(expected) : undefined;
  return function adminAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!expected) {
      throw new HttpError(403, 'The admin API is disabled: set SWITCHYARD_ADMIN_TOKEN to enable it.', { code: 'admin_disabled' });
    }
    const token = bearer(req);
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new HttpError(401, 'Invalid admin token.', { code: 'invalid_admin_token' });
    }
    res.locals.adminActor = actor;
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The audit log's name for an admin token: a prefix of its SHA-256, never the token itself. */
export function adminActor(tokenDigest: Buffer): string {
  return `admin:${tokenDigest.toString('hex').slice(0, 16)}`;
}

/** The actor `adminAuth` recorded for this request, for audit rows. */
export function actorOf(res: Response): string {
  const actor: unknown = res.locals.adminActor;
  return typeof actor === 'string' ? actor : 'admin:unknown';
}
