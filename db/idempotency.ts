import type { Pool } from 'pg';

export type IdempotencyClaim = 'first' | 'replay' | 'conflict';

/**
 * Records the first request body seen under an idempotency workflow id. A later request with
 * the same id is a `replay` when its body digest matches, a `conflict` otherwise.
 */
export async function claimIdempotencyKey(
  pool: Pool,
  opts: { workflowId: string; keyId: string; requestHash: Buffer },
): Promise<IdempotencyClaim> {
  const inserted = await pool.query(
    `INSERT INTO idempotency_keys (workflow_id, key_id, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (workflow_id) DO NOTHING`,
    [opts.workflowId, opts.keyId, opts.requestHash],
  );
  if ((inserted.rowCount ?? 0) > 0) return 'first';
  const { rows } = await pool.query<{ request_hash: Buffer }>('SELECT request_hash FROM idempotency_keys WHERE workflow_id = $1', [
    opts.workflowId,
  ]);
  return rows[0] && rows[0].request_hash.equals(opts.requestHash) ? 'replay' : 'conflict';
}
