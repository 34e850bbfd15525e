/**
 * Task queues. Interactive requests have their own queue so batch load never starves them;
 * the API process polls it too, which is what lets requests start eagerly.
 */
export const TaskQueue = {
  Interactive: 'switchyard-interactive',
  /** Batch workflows and their page activities (worker/create-batch-worker.ts). */
  Batch: 'switchyard-batch',
} as const;
export type TaskQueue = (typeof TaskQueue)[keyof typeof TaskQueue];
