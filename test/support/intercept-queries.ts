import type { Pool, PoolClient } from 'pg';

/**
 * Runs `before` ahead of every query on every connection of `pool` (however it is used:
 * `pool.query` or a transaction's client). A returned Error fails that query instead of sending
 * it, as a dropped connection would; `undefined` lets it through.
 */
export function interceptQueries(pool: Pool, before: (text: string) => Error | undefined): void {
  pool.on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query(...args: unknown[]): unknown {
        const refused = before(typeof args[0] === 'string' ? args[0] : '');
        return refused ? Promise.reject(refused) : query(...args);
      },
    });
  });
}
