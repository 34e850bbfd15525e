import type { Pool, PoolClient } from 'pg';

// deadlock_detected, serialization_failure: the transaction did nothing and may simply rerun.
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * Runs `fn` in one READ COMMITTED transaction on a pooled client, committing when it resolves
 * and rolling back when it throws. A deadlock or serialization failure reruns the whole
 * function (up to 3 attempts): the ledger locks rows in a fixed order so deadlocks should not
 * happen, and this keeps a missed case from surfacing as a failed request.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (attempt >= MAX_ATTEMPTS || !RETRYABLE_SQLSTATES.has(sqlState(err))) throw err;
    } finally {
      client.release();
    }
  }
}

function sqlState(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
}
