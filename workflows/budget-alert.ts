import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { AlertDeliveryOutcome, BudgetAlertActivities } from '../activities/budget-alert-activities';
import { AlertDeliveryState, WebhookFailureType, type BudgetAlertKey } from '../budget/alert-types';
import { RequestKind, RequestOutcome } from '../temporal/search-attributes';
import { recordTaskOutcome } from './record-outcome';

/**
 * Webhook retries: exponential from 1 s, capped at 2 min between attempts, 10 attempts in all
 * (about 9 minutes of trying). A receiver that refuses the alert (4xx) is not asked again.
 */
export const WEBHOOK_RETRY: RetryPolicy = {
  maximumAttempts: 10,
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  nonRetryableErrorTypes: [WebhookFailureType.Rejected],
};

// A regular activity, not a local one: each webhook attempt (and its error) shows in the UI.
const { deliverBudgetAlert } = proxyActivities<BudgetAlertActivities>({ startToCloseTimeout: '30 seconds', retry: WEBHOOK_RETRY });
const { markBudgetAlertFailed } = proxyActivities<BudgetAlertActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * Delivers one budget alert to its tenant's webhook. Started by settlement (workflow id
 * `budget-alert-<budget>-<period start>-<threshold>`, so it runs once per alert) or by the alert
 * sweeper for an alert whose start was lost. When the retries run out the alert is marked
 * `failed` and the workflow completes: the failure is recorded data, not a stuck workflow.
 */
export async function budgetAlertWorkflow(alert: BudgetAlertKey): Promise<AlertDeliveryOutcome> {
  return recordTaskOutcome(RequestKind.BudgetAlert, () => deliver(alert), alertOutcome);
}

async function deliver(alert: BudgetAlertKey): Promise<AlertDeliveryOutcome> {
  try {
    return await deliverBudgetAlert(alert);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('budget alert webhook failed for good', { alert, error: String(err.cause ?? err) });
    await markBudgetAlertFailed(alert);
    return 'failed';
  }
}

/** `unknown` (the alert row is gone) and `pending` count as failed deliveries. */
function alertOutcome(outcome: AlertDeliveryOutcome): RequestOutcome {
  if (outcome === AlertDeliveryState.Delivered) return RequestOutcome.Delivered;
  if (outcome === AlertDeliveryState.NoWebhook) return RequestOutcome.NoWebhook;
  return RequestOutcome.Failed;
}
