import { proxyActivities } from '@temporalio/workflow';
import type { FileActivities } from '../activities/file-activities';
import { SWEEP_RETRY } from './release-expired-reservations';

/**
 * Age past which an upload still `uploading` is a dead process's: 1 hour. A live one cannot last
 * that long, since the HTTP server ends any request whose body is not in after its
 * `requestTimeout` (Node's default, 300 s, which the gateway keeps).
 */
export const STALE_UPLOAD_AGE_MS = 60 * 60 * 1000;
/** Uploads per delete: each can hold up to `limits.max_file_bytes` of lines, deleted with it. */
export const STALE_UPLOAD_BATCH_SIZE = 10;
/** Batches per run: a larger backlog is finished by the next runs, a minute apart. */
export const STALE_UPLOAD_MAX_BATCHES = 20;

const { deleteStaleUploads } = proxyActivities<FileActivities>({ startToCloseTimeout: '1 minute', retry: SWEEP_RETRY });

/**
 * Started every minute by the `switchyard-upload-sweeper` Schedule: deletes the uploads a process
 * left `uploading` when it died mid-upload (an upload that fails while the process lives removes
 * itself), with their lines, in batches until one comes back short (or the per-run cap is
 * reached). Returns how many uploads it deleted.
 */
export async function deleteStaleUploadsWorkflow(): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < STALE_UPLOAD_MAX_BATCHES; batch++) {
    const n = await deleteStaleUploads({ olderThanMs: STALE_UPLOAD_AGE_MS, limit: STALE_UPLOAD_BATCH_SIZE });
    deleted += n;
    if (n < STALE_UPLOAD_BATCH_SIZE) break;
  }
  return deleted;
}
