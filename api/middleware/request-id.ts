import { randomFillSync } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Random bytes per id: 96 bits, 24 hex characters. */
const ID_BYTES = 12;
/** Ids drawn from one `randomFillSync` call (4 KiB of entropy per refill). */
const IDS_PER_REFILL = 341;

const pool = Buffer.alloc(ID_BYTES * IDS_PER_REFILL);
let offset = pool.length;

/**
 * 96 fresh CSPRNG bits as hex. Filling a pooled buffer and handing it out in slices keeps every id
 * as unpredictable as its own `randomBytes(12)` (each slice is used once, then overwritten by
 * the next refill) while paying the syscall-backed fill once per 341 requests instead of once
 * per request.
 */
function randomHex(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += ID_BYTES;
  return pool.toString('hex', start, offset);
}

/**
 * Gives every request a fresh id (`req_` + 24 hex chars) and the `x-request-id` header.
 * A client-sent id is never reused: it names the request's workflow, and another caller
 * could otherwise attach to it.
 */
export function requestId() {
  return function requestIdMiddleware(_req: Request, res: Response, next: NextFunction): void {
    const id = `req_${randomHex()}`;
    res.locals.requestId = id;
    res.setHeader('x-request-id', id);
    next();
  };
}
