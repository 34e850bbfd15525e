import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { AlertDeliveryState, WebhookFailureType, type BudgetAlertKey } from '../budget/alert-types';
import { alertPayload, postAlertWebhook, WebhookError } from '../budget/alert-webhook';
import { getAlertForDelivery, listStalePendingAlerts, recordAlertDelivery } from '../db/budget-alerts';
import { budgetAlertWorkflowId } from '../temporal/workflow-ids';

export type BudgetAlertActivities = ReturnType<typeof createBudgetAlertActivities>;

/** How delivery of one alert ended; `unknown` = no such alert row. */
export type AlertDeliveryOutcome = AlertDeliveryState | 'unknown';

/**
 * Side effects of budget alerts: the webhook call and the bookkeeping on `budget_alerts`.
 *
 * @param webhookTimeoutMs per call, default 10 s.
 */
export function createBudgetAlertActivities(deps: { readonly pool: Pool; readonly webhookTimeoutMs?: number }) {
  return {
    /**
     * Calls the tenant's webhook once and records the outcome. Returns without calling when the
     * alert was already delivered (a second run of the workflow) or the tenant has no webhook.
     * The URL is read at each attempt, so fixing a wrong URL takes effect on the next retry.
     *
     * @throws ApplicationFailure `WebhookFailed` (retryable) or `WebhookRejected` (not).
     */
    async deliverBudgetAlert(key: BudgetAlertKey): Promise<AlertDeliveryOutcome> {
      const found = await getAlertForDelivery(deps.pool, key);
      if (!found) return 'unknown';
      if (found.alert.deliveryState === AlertDeliveryState.Delivered) return AlertDeliveryState.Delivered;
      const attempts = found.alert.deliveryAttempts + 1;
      if (!found.webhookUrl) {
        await recordAlertDelivery(deps.pool, key, { state: AlertDeliveryState.NoWebhook, attempts: found.alert.deliveryAttempts });
        return AlertDeliveryState.NoWebhook;
      }
      const payload = alertPayload(budgetAlertWorkflowId(key), found.alert);
      try {
        await postAlertWebhook(found.webhookUrl, payload, { timeoutMs: deps.webhookTimeoutMs });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await recordAlertDelivery(deps.pool, key, { state: AlertDeliveryState.Pending, attempts, webhookUrl: found.webhookUrl, error: message });
        const retryable = !(err instanceof WebhookError) || err.retryable;
        throw ApplicationFailure.create({
          type: retryable ? WebhookFailureType.Failed : WebhookFailureType.Rejected,
          message: `${message} (attempt ${Context.current().info.attempt})`,
          nonRetryable: !retryable,
        });
      }
      await recordAlertDelivery(deps.pool, key, { state: AlertDeliveryState.Delivered, attempts, webhookUrl: found.webhookUrl });
      return AlertDeliveryState.Delivered;
    },

    /** Marks an alert whose retries ran out (the row keeps the last error). */
    async markBudgetAlertFailed(key: BudgetAlertKey): Promise<void> {
      const found = await getAlertForDelivery(deps.pool, key);
      if (!found || found.alert.deliveryState !== AlertDeliveryState.Pending) return;
      await recordAlertDelivery(deps.pool, key, {
        state: AlertDeliveryState.Failed,
        attempts: found.alert.deliveryAttempts,
        error: found.alert.lastError,
      });
    },

    /** Alerts pending for over a minute: their delivery never started. At most 100 per sweep. */
    async listStaleBudgetAlerts(): Promise<BudgetAlertKey[]> {
      return listStalePendingAlerts(deps.pool, { olderThanMs: 60_000, limit: 100 });
    },
  };
}
