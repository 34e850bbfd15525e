/**
 * Batch statuses and outcomes. Pure (no I/O), so the workflow, the activities and the API share
 * one vocabulary.
 */

/** OpenAI's batch statuses. */
export const BatchStatus = {
  Validating: 'validating',
  Failed: 'failed',
  InProgress: 'in_progress',
  Finalizing: 'finalizing',
  Completed: 'completed',
  Expired: 'expired',
  Cancelling: 'cancelling',
  Cancelled: 'cancelled',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

/** How a batch's run ended, as the workflow reports it to `finishBatch`. */
export type BatchOutcome = 'completed' | 'cancelled' | 'expired' | 'failed';

/** A batch-level error (OpenAI's `errors.data[]`). */
export interface BatchError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}
