import { Pool } from 'pg';

/** A connection pool. `max` defaults to 10; statements time out after 10 s so nothing hangs. */
export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max, statement_timeout: 10_000, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
