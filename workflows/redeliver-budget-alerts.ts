import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { BudgetAlertActivities } from '../activities/budget-alert-activities';
import { RequestKind, SA } from '../temporal/search-attributes';
import { budgetAlertWorkflowId } from '../temporal/workflow-ids';
import { budgetAlertWorkflow } from './budget-alert';
import { recordTaskOutcome } from './record-outcome';
import { SWEEP_RETRY } from './release-expired-reservations';

const { listStaleBudgetAlerts } = proxyActivities<BudgetAlertActivities>({ startToCloseTimeout: '30 seconds', retry: SWEEP_RETRY });

/**
 * Started every minute by the `switchyard-budget-alert-sweeper` Schedule: starts the delivery
 * workflow of every alert still pending a minute after it fired (its start failed, or the
 * process died between settlement and start). Children are abandoned so a delivery outlives
 * this short sweep; one already running (still retrying its webhook) is left alone. Returns
 * how many deliveries it started.
 */
export async function redeliverBudgetAlertsWorkflow(): Promise<number> {
  return recordTaskOutcome(RequestKind.AlertSweep, redeliver);
}

async function redeliver(): Promise<number> {
  const stale = await listStaleBudgetAlerts();
  let started = 0;
  for (const alert of stale) {
    try {
      await startChild(budgetAlertWorkflow, {
        workflowId: budgetAlertWorkflowId(alert),
        args: [alert],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowExecutionTimeout: '1 hour',
        typedSearchAttributes: [{ key: SA.RequestKind, value: RequestKind.BudgetAlert }],
      });
      started += 1;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return started;
}
