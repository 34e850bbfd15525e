import type { Client } from '@temporalio/client';
import { ensureMinutelySchedule } from './minutely-schedule';

/** The Schedule that releases expired budget holds. */
export const BUDGET_SWEEPER_SCHEDULE_ID = 'switchyard-budget-sweeper';

/** Workflow type the Schedule starts (workflows/release-expired-reservations.ts). */
export const BUDGET_SWEEPER_WORKFLOW = 'releaseExpiredReservationsWorkflow';

/** Creates the budget sweeper Schedule (every minute) unless it exists. */
export function ensureBudgetSweeperSchedule(client: Client): Promise<'created' | 'exists'> {
  return ensureMinutelySchedule(client, { scheduleId: BUDGET_SWEEPER_SCHEDULE_ID, workflowType: BUDGET_SWEEPER_WORKFLOW });
}
