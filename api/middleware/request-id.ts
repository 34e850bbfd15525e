import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/**
 * Gives every request a fresh id (`req_` + 24 hex chars) and the `x-request-id` header.
 * A client-sent id is never reused: it names the request's workflow, and another caller
 * could otherwise attach to it.
 */
export function requestId() {
  return function requestIdMiddleware(_req: Request, res: Response, next: NextFunction): void {
    const id = `req_${randomBytes(12).toString('hex')}`;
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  };
}
