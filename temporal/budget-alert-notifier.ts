import type { Client } from '@temporalio/client';
import type { BudgetAlertKey, BudgetAlertNotifier } from '../budget/alert-types';
import type { Logger } from '../observability/logger';
import { RequestKind, SA } from './search-attributes';
import { TaskQueue } from './task-queues';
import { budgetAlertWorkflowId } from './workflow-ids';

/** Workflow type that delivers one alert (workflows/budget-alert.ts). */
export const BUDGET_ALERT_WORKFLOW = 'budgetAlertWorkflow';

/**
 * Starts (or finds running) the delivery workflow of one alert. `USE_EXISTING` makes a second
 * start while one runs a no-op; after a run has closed, a new run is allowed and its activity
 * returns early when the row says the alert was already delivered.
 */
export async function startBudgetAlertDelivery(client: Client, alert: BudgetAlertKey): Promise<void> {
  await client.workflow.start(BUDGET_ALERT_WORKFLOW, {
    taskQueue: TaskQueue.Interactive,
    workflowId: budgetAlertWorkflowId(alert),
    args: [alert],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    // Generous: the webhook retries span ~10 minutes; past this the sweeper may try again.
    workflowExecutionTimeout: '1 hour',
    typedSearchAttributes: [{ key: SA.RequestKind, value: RequestKind.BudgetAlert }],
  });
}

/**
 * The notifier settlement uses, on the durable path (worker) and the fast path (API) alike: it
 * starts each alert's workflow without making the request wait. A start that fails is logged;
 * the alert row stays `pending` and the alert sweeper Schedule starts it later.
 */
export function temporalAlertNotifier(client: Client, logger: Logger): BudgetAlertNotifier {
  return {
    notify(alerts) {
      for (const alert of alerts) {
        startBudgetAlertDelivery(client, alert).catch((err: unknown) => {
          logger.warn({ alert, err: messageOf(err) }, 'could not start a budget alert delivery; the alert sweeper will retry it');
        });
      }
    },
    recordFailed(reservationId, err) {
      logger.error({ reservationId, err: messageOf(err) }, 'could not record budget alerts after a settlement');
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
