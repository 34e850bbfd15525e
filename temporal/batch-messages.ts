import { defineSignal } from '@temporalio/workflow';

/**
 * Messages of the batch workflow, shared by the API (sender) and the workflow (handler).
 *
 * Cancel is a signal, not an update: the API has already recorded `cancelling` in Postgres (the
 * source of truth for GET), so it needs no answer, and a signal by workflow id reaches whichever
 * run is current after continue-as-new.
 */
export const cancelBatchSignal = defineSignal('cancelBatch');
