import {
  ActivityCancellationType,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchActivities, PageResult } from '../activities/batch-activities';
import type { BatchOutcome, BatchStatus } from '../batch/batch-status';
import { cancelBatchSignal } from '../temporal/batch-messages';
import type { Caller } from './types';

/** Input of `batchWorkflow`; a continued run gets the same with its progress. */
export interface BatchWorkflowInput {
  readonly batchId: string;
  readonly inputFileId: string;
  readonly caller: Caller;
  /** Epoch ms: the end of the completion window. */
  readonly expiresAtMs: number;
  readonly pageSize: number;
  /** Items in flight at once within a page. */
  readonly concurrency: number;
  /** Pages per run before continue-as-new; default PAGES_PER_RUN. */
  readonly pagesPerRun?: number;
  /** Lines up to this one are done (0 at the start). */
  readonly afterLine: number;
  /** Set on continued runs: the batch is already `in_progress`. */
  readonly started?: boolean;
  /** Set on continued runs when a cancel arrived just before continuing. */
  readonly cancelRequested?: boolean;
}

export interface BatchWorkflowResult {
  readonly status: BatchStatus;
  readonly completed: number;
  readonly failed: number;
}

/** Default pages per run before continue-as-new (about 6 history events each), unless the server suggests it sooner. */
export const PAGES_PER_RUN = 50;

const { startBatch, finishBatch } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/*
 * A page runs for as long as its items take, so the worker's death is noticed by the heartbeat
 * timeout (the page is then retried elsewhere and skips the items already answered), not by
 * start-to-close. Cancellation waits for the activity to return: its in-flight items finish.
 */
const { runBatchPage } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/**
 * One batch (`batch-<id>`, task queue `switchyard-batch`): pages through the input file, one
 * activity per page that runs its items with bounded concurrency, then writes the output and
 * error files. Batch rows in Postgres carry status and counters; the workflow only orchestrates.
 *
 * - Cancel (signal): no new page; the running page is cancelled, which lets its in-flight items
 *   finish; status `cancelled` with the partial output.
 * - Expiry: a durable timer at the end of the completion window cancels the page the same way;
 *   every item left gets a `batch_expired` error line; status `expired`.
 * - History stays bounded: continue-as-new every `pagesPerRun` pages (or when suggested).
 */
export async function batchWorkflow(input: BatchWorkflowInput): Promise<BatchWorkflowResult> {
  let cancelRequested = input.cancelRequested === true;
  let expired = false;
  let running: CancellationScope | undefined;
  // The signal is sent by workflow id, so it reaches whichever run is current.
  setHandler(cancelBatchSignal, () => {
    cancelRequested = true;
    running?.cancel();
  });
  if (!input.started) await startBatch({ batchId: input.batchId });

  const untilExpiry = input.expiresAtMs - Date.now();
  if (untilExpiry <= 0) expired = true;
  else {
    void sleep(untilExpiry).then(() => {
      expired = true;
      running?.cancel();
    });
  }

  const finish = (outcome: BatchOutcome, message?: string): Promise<BatchWorkflowResult> =>
    finishBatch({
      batchId: input.batchId,
      inputFileId: input.inputFileId,
      outcome,
      errors: message ? [{ code: 'batch_failed', message, param: null, line: null }] : undefined,
    });

  let afterLine = input.afterLine;
  for (let pages = 0; ; pages++) {
    if (cancelRequested) return finish('cancelled');
    if (expired || Date.now() >= input.expiresAtMs) return finish('expired');
    if (pages >= (input.pagesPerRun ?? PAGES_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof batchWorkflow>({ ...input, afterLine, started: true, cancelRequested });
    }
    const scope = new CancellationScope();
    running = scope;
    let page: PageResult | undefined;
    try {
      page = await scope.run(() =>
        runBatchPage({
          batchId: input.batchId,
          inputFileId: input.inputFileId,
          caller: input.caller,
          afterLine,
          pageSize: input.pageSize,
          concurrency: input.concurrency,
          expiresAtMs: input.expiresAtMs,
        }),
      );
    } catch (err) {
      if (!isCancellation(err)) return finish('failed', `a page of the batch failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      running = undefined;
    }
    // A page that stopped early has unanswered lines: the next attempt starts at the same place
    // (and skips what is answered) unless the batch is cancelled or expired.
    if (page && !page.stopped) {
      afterLine = page.lastLine;
      if (page.endOfFile) return finish('completed');
    }
  }
}
