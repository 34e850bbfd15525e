import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { claimIdempotencyKey } from '../db/idempotency';
import { idempotentWorkflowId } from '../temporal/workflow-ids';
import { HttpError } from './http-error';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's `Idempotency-Key` header, checked: undefined without one. Routes call it before
 * any lookup that can refuse the request (model, policy, circuit state), so a malformed header is
 * always answered as the client's error rather than hidden behind a 503.
 *
 * @throws HttpError 400 `invalid_idempotency_key` unless the header is 1-255 printable ASCII
 *   characters without spaces.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw new HttpError(400, 'Idempotency-Key must be 1-255 printable ASCII characters.', { code: 'invalid_idempotency_key' });
  }
  return header;
}

/**
 * With an idempotency key (from `idempotencyKeyOf`): the workflow id derived from it, the
 * caller's key id and the key's current window, after checking that an earlier request under the
 * same key within the window had the same body (else 409). After the window the key is fresh
 * again. Without one: undefined.
 */
export async function idempotentId(opts: {
  pool: Pool;
  idempotencyKey: string | undefined;
  keyId: string;
  prefix: string;
  body: unknown;
  windowMs: number;
}): Promise<string | undefined> {
  if (opts.idempotencyKey === undefined) return undefined;
  const digest = createHash('sha256').update(`${opts.keyId}\n${opts.idempotencyKey}`).digest('hex').slice(0, 40);
  const keyedId = idempotentWorkflowId(opts.prefix, digest);
  const requestHash = createHash('sha256').update(JSON.stringify(opts.body)).digest();
  const claim = await claimIdempotencyKey(opts.pool, { workflowId: keyedId, keyId: opts.keyId, requestHash, windowMs: opts.windowMs });
  if (claim.kind === 'conflict') {
    throw new HttpError(409, 'This Idempotency-Key was already used with a different request body.', {
      type: 'invalid_request_error',
      code: 'idempotency_key_reused',
    });
  }
  return `${keyedId}-${claim.generation.toString(36)}`;
}
