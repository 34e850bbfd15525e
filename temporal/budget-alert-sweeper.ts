import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TaskQueue } from './task-queues';

/** The Schedule that starts deliveries of alerts whose workflow never started. */
export const BUDGET_ALERT_SWEEPER_SCHEDULE_ID = 'switchyard-budget-alert-sweeper';

/** Workflow type the Schedule starts (workflows/redeliver-budget-alerts.ts). */
export const BUDGET_ALERT_SWEEPER_WORKFLOW = 'redeliverBudgetAlertsWorkflow';

/**
 * Creates the alert sweeper Schedule if it does not exist: every minute, overlap SKIP, on the
 * interactive task queue. Idempotent across instances and restarts; an existing Schedule (and
 * an operator's pause on it) is left as it is.
 *
 * @returns `created`, or `exists` when the Schedule was already there.
 * @throws the client's errors other than "already running".
 */
export async function ensureBudgetAlertSweeperSchedule(client: Client): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: BUDGET_ALERT_SWEEPER_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: BUDGET_ALERT_SWEEPER_WORKFLOW,
        workflowId: BUDGET_ALERT_SWEEPER_SCHEDULE_ID,
        taskQueue: TaskQueue.Interactive,
        workflowExecutionTimeout: '5 minutes',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
