import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { claimIdempotencyKey } from '../db/idempotency';
import { idempotentWorkflowId } from '../temporal/workflow-ids';
import { HttpError } from './http-error';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * With an `Idempotency-Key` header: the workflow id derived from it and the caller's key id,
 * after checking that an earlier request under the same key had the same body (else 409).
 * Without the header: undefined.
 */
export async function idempotentId(
  req: Request,
  opts: { pool: Pool; keyId: string; prefix: string; body: unknown },
): Promise<string | undefined> {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !IDEMPOTENCY_KEY.test(header)) {
    throw new HttpError(400, 'Idempotency-Key must be 1-255 printable ASCII characters.', { code: 'invalid_idempotency_key' });
  }
  const digest = createHash('sha256').update(`${opts.keyId}\n${header}`).digest('hex').slice(0, 40);
  const workflowId = idempotentWorkflowId(opts.prefix, digest);
  const requestHash = createHash('sha256').update(JSON.stringify(opts.body)).digest();
  const claim = await claimIdempotencyKey(opts.pool, { workflowId, keyId: opts.keyId, requestHash });
  if (claim === 'conflict') {
    throw new HttpError(409, 'This Idempotency-Key was already used with a different request body.', {
      type: 'invalid_request_error',
      code: 'idempotency_key_reused',
    });
  }
  return workflowId;
}
