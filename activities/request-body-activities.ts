import type { Pool } from 'pg';
import { deleteExpiredBodies } from '../db/request-bodies';

export type RequestBodyActivities = ReturnType<typeof createRequestBodyActivities>;

/** The retention side of opt-in body logging. */
export function createRequestBodyActivities(deps: { readonly pool: Pool }) {
  return {
    /**
     * Deletes up to `batchSize` logged bodies whose retention has passed. Idempotent: a retry
     * deletes whatever has expired by then (possibly nothing). Returns how many it deleted.
     */
    async deleteExpiredRequestBodies(batchSize: number): Promise<number> {
      return deleteExpiredBodies(deps.pool, { batchSize });
    },
  };
}
