/**
 * Budget alert shapes shared by the ledger, the Temporal workflows (inside the sandbox: no Node
 * imports here) and the webhook activity.
 */

/** The thresholds that fire, in percent of a budget's limit. */
export const ALERT_THRESHOLDS = [80, 100] as const;
export type AlertThreshold = (typeof ALERT_THRESHOLDS)[number];

/** Identifies one alert: a budget, one of its period windows, a threshold. Fires once. */
export interface BudgetAlertKey {
  readonly budgetId: string;
  /** ISO 8601 start of the period window. */
  readonly periodStart: string;
  readonly threshold: AlertThreshold;
}

/** How delivery of an alert ended (or that it has not yet). */
export const AlertDeliveryState = {
  Pending: 'pending',
  Delivered: 'delivered',
  /** The bounded retries ran out; the row keeps the last error. */
  Failed: 'failed',
  /** The tenant had no webhook URL when delivery ran: nothing to call. */
  NoWebhook: 'no_webhook',
} as const;
export type AlertDeliveryState = (typeof AlertDeliveryState)[keyof typeof AlertDeliveryState];

/**
 * Starts delivery of alerts that settlement has just recorded. Implementations must neither
 * throw nor make the caller wait: a request's settlement never depends on a webhook.
 */
export interface BudgetAlertNotifier {
  notify(alerts: readonly BudgetAlertKey[]): void;
  /** Recording alerts after a settlement failed (the settlement itself stands). */
  recordFailed(reservationId: string, err: unknown): void;
}

/**
 * Failure types of the webhook activity. Kept apart from errors/failure-types.ts, whose types
 * all map to HTTP answers: these never reach a client.
 */
export const WebhookFailureType = {
  /** The webhook answered 4xx (other than 408/429): its receiver refuses the alert. Not retryable. */
  Rejected: 'WebhookRejected',
  /** 5xx, 408, 429, a timeout or no connection. Retryable. */
  Failed: 'WebhookFailed',
} as const;
