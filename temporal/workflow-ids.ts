/**
 * Workflow ids are business keys, so a retried start lands on the same execution.
 * Never put prompt text or raw keys in an id: ids are stored and shown in plain text.
 */
export const WorkflowIdPrefix = {
  Chat: 'chat-',
  Embeddings: 'embeddings-',
} as const;

/** `chat-<request id>` for a request without an Idempotency-Key. */
export function chatWorkflowId(requestId: string): string {
  return `${WorkflowIdPrefix.Chat}${requestId}`;
}

export function embeddingsWorkflowId(requestId: string): string {
  return `${WorkflowIdPrefix.Embeddings}${requestId}`;
}

/**
 * With an Idempotency-Key the id derives from the key and the caller's key id (digest computed
 * by the caller, see api/idempotency.ts), so two callers' keys never collide.
 */
export function idempotentWorkflowId(prefix: string, digest: string): string {
  return `${prefix}idem-${digest}`;
}

/**
 * `budget-alert-<budget>-<period start>-<threshold>`: one delivery per alert, so a second start
 * (the settlement's notifier and the alert sweeper racing) lands on the same execution.
 */
export function budgetAlertWorkflowId(alert: { readonly budgetId: string; readonly periodStart: string; readonly threshold: number }): string {
  return `budget-alert-${alert.budgetId}-${alert.periodStart}-${alert.threshold}`;
}

/** `batch-<batch id>`: one workflow per batch, across its continued runs. */
export function batchWorkflowId(batchId: string): string {
  return `batch-${batchId}`;
}
