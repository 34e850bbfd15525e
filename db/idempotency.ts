import type { Pool } from 'pg';

/** Outcome of {@link claimIdempotencyKey}. */
export interface IdempotencyClaim {
  /** `first`: a new request (or the key's window had passed); `replay`: same body as before. */
  readonly kind: 'first' | 'replay' | 'conflict';
  /**
   * When the key's current window opened, in ms since the epoch. It becomes part of the workflow
   * id, so a key reused after its window starts a new workflow instead of finding the old one.
   */
  readonly generation: number;
}

/**
 * Records the first request body seen under an idempotency id, for `windowMs`. Within the window
 * a request with the same id is a `replay` when its body digest matches and a `conflict`
 * otherwise; after it the id is claimed afresh (new generation), whatever the body.
 */
export async function claimIdempotencyKey(
  pool: Pool,
  opts: { workflowId: string; keyId: string; requestHash: Buffer; windowMs: number },
): Promise<IdempotencyClaim> {
  const claimed = await pool.query<{ generation: string }>(
    `INSERT INTO idempotency_keys (workflow_id, key_id, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT (workflow_id) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
       WHERE idempotency_keys.created_at < now() - make_interval(secs => $4::double precision / 1000)
     RETURNING (extract(epoch FROM created_at) * 1000)::bigint AS generation`,
    [opts.workflowId, opts.keyId, opts.requestHash, opts.windowMs],
  );
  if (claimed.rows[0]) return { kind: 'first', generation: Number(claimed.rows[0].generation) };
  const { rows } = await pool.query<{ request_hash: Buffer; generation: string }>(
    `SELECT request_hash, (extract(epoch FROM created_at) * 1000)::bigint AS generation FROM idempotency_keys WHERE workflow_id = $1`,
    [opts.workflowId],
  );
  const row = rows[0];
  if (!row) throw new Error('idempotency key vanished between claim and read');
  return { kind: row.request_hash.equals(opts.requestHash) ? 'replay' : 'conflict', generation: Number(row.generation) };
}
