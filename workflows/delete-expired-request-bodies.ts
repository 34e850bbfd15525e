import { proxyActivities } from '@temporalio/workflow';
import type { RequestBodyActivities } from '../activities/request-body-activities';
import { SWEEP_RETRY } from './release-expired-reservations';

/** Rows per delete statement: short transactions, a bounded lock footprint. */
export const RETENTION_BATCH_SIZE = 1000;
/** Batches per run: a backlog larger than this is finished by the next runs, a minute apart. */
export const RETENTION_MAX_BATCHES = 50;

const { deleteExpiredRequestBodies } = proxyActivities<RequestBodyActivities>({ startToCloseTimeout: '1 minute', retry: SWEEP_RETRY });

/**
 * Started every minute by the `switchyard-request-body-retention` Schedule: deletes logged
 * request/response bodies past their tenant's retention, in batches, until a batch comes back
 * short (or the per-run cap is reached). Returns how many rows it deleted.
 */
export async function deleteExpiredRequestBodiesWorkflow(): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < RETENTION_MAX_BATCHES; batch++) {
    const n = await deleteExpiredRequestBodies(RETENTION_BATCH_SIZE);
    deleted += n;
    if (n < RETENTION_BATCH_SIZE) break;
  }
  return deleted;
}
