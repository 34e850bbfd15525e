import type { Pool } from 'pg';
import { deleteStaleUploads } from '../db/files';

export type FileActivities = ReturnType<typeof createFileActivities>;

/** Upkeep of stored files (`POST /v1/files`). */
export function createFileActivities(deps: { readonly pool: Pool }) {
  return {
    /**
     * Deletes up to `limit` uploads left `uploading` for more than `olderThanMs`, with their
     * lines. Idempotent: a retry deletes whatever is stale by then (possibly nothing). Returns how
     * many uploads it deleted.
     */
    async deleteStaleUploads(input: { readonly olderThanMs: number; readonly limit: number }): Promise<number> {
      return deleteStaleUploads(deps.pool, input);
    },
  };
}
