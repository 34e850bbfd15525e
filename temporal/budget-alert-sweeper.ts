import type { Client } from '@temporalio/client';
import { ensureMinutelySchedule } from './minutely-schedule';

/** The Schedule that starts deliveries of alerts whose workflow never started. */
export const BUDGET_ALERT_SWEEPER_SCHEDULE_ID = 'switchyard-budget-alert-sweeper';

/** Workflow type the Schedule starts (workflows/redeliver-budget-alerts.ts). */
export const BUDGET_ALERT_SWEEPER_WORKFLOW = 'redeliverBudgetAlertsWorkflow';

/** Creates the alert sweeper Schedule (every minute) unless it exists. */
export function ensureBudgetAlertSweeperSchedule(client: Client): Promise<'created' | 'exists'> {
  return ensureMinutelySchedule(client, { scheduleId: BUDGET_ALERT_SWEEPER_SCHEDULE_ID, workflowType: BUDGET_ALERT_SWEEPER_WORKFLOW });
}
