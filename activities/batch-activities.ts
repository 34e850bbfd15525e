import { Context } from '@temporalio/activity';
import { runPage, type PageRequest, type PageResult } from '../batch/run-page';
import type { ItemDeps } from '../batch/process-item';
import { failUnanswered, finalizeBatch, markInProgress, type BatchError, type BatchOutcome, type BatchStatus } from '../db/batches';

export type { PageRequest, PageResult } from '../batch/run-page';

/** Input of `finishBatch`. */
export interface FinishBatchInput {
  readonly batchId: string;
  readonly inputFileId: string;
  readonly outcome: BatchOutcome;
  /** Why a `failed` batch failed. */
  readonly errors?: readonly BatchError[];
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;

/** Message of the error line of an item the completion window ran out on (OpenAI's wording). */
const EXPIRED_MESSAGE = 'This request could not be executed before the completion window expired.';

/**
 * The batch workflow's activities. Each is idempotent: status changes are conditional updates,
 * result rows are unique per (batch, line), and a retried page skips the lines already answered.
 */
export function createBatchActivities(deps: ItemDeps) {
  return {
    /** `validating` → `in_progress` (a batch cancelled meanwhile stays `cancelling`). */
    async startBatch(input: { readonly batchId: string }): Promise<void> {
      await markInProgress(deps.pool, input.batchId);
    },

    /**
     * Runs one page of items (see `batch/run-page.ts`), heartbeating its progress. A cancelled
     * activity (batch cancelled, completion window over, worker shutting down) starts no new
     * item, lets the in-flight ones finish and returns what it did.
     */
    async runBatchPage(input: PageRequest): Promise<PageResult> {
      const context = Context.current();
      return runPage(deps, input, {
        cancelled: () => context.cancellationSignal.aborted,
        progress: (answered) => context.heartbeat({ answered }),
      });
    },

    /**
     * Ends the batch: for an expired one, first an `batch_expired` error line for every item
     * not answered; then the output and error files and the final status.
     */
    async finishBatch(input: FinishBatchInput): Promise<{ readonly status: BatchStatus; readonly completed: number; readonly failed: number }> {
      if (input.outcome === 'expired') {
        await failUnanswered(deps.pool, { batchId: input.batchId, fileId: input.inputFileId, code: 'batch_expired', message: EXPIRED_MESSAGE });
      }
      const batch = await finalizeBatch(deps.pool, input.batchId, input.outcome, input.errors);
      return { status: batch.status, completed: batch.completed, failed: batch.failed };
    },
  };
}
