import type { NextFunction, Request, Response } from 'express';
import { CODEC_SESSION_COOKIE, cookieValue, type CodecSessions } from '../codec-session';
import { adminAuth } from './admin-auth';

/**
 * Admin auth for /codec/decode and /codec/encode: the admin bearer token (Temporal CLI
 * `--codec-auth`, scripts) or, without an Authorization header, a codec session cookie (the
 * Temporal UI with "include cross-origin credentials"). Failures are adminAuth's 401/403.
 */
export function codecAuth(adminToken: string | undefined, sessions: CodecSessions | undefined) {
  const admin = adminAuth(adminToken);
  return function codecAuthMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (sessions && req.headers.authorization === undefined && sessions.verify(cookieValue(req.headers.cookie, CODEC_SESSION_COOKIE))) {
      res.locals.adminActor = 'admin:codec-session';
      next();
      return;
    }
    admin(req, res, next);
  };
}
