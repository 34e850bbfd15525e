import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TaskQueue } from './task-queues';

/** The Schedule that releases expired budget holds. */
export const BUDGET_SWEEPER_SCHEDULE_ID = 'switchyard-budget-sweeper';

/** Workflow type the Schedule starts (workflows/release-expired-reservations.ts). */
export const BUDGET_SWEEPER_WORKFLOW = 'releaseExpiredReservationsWorkflow';

/**
 * Creates the budget sweeper Schedule if it does not exist: every minute, on the interactive
 * task queue, overlap SKIP (a slow sweep is never joined by a second one; the next tick
 * catches up). Idempotent across instances and restarts: an existing Schedule is left as it
 * is, including a pause an operator set on it.
 *
 * @returns `created`, or `exists` when the Schedule was already there.
 * @throws the client's errors other than "already running" (e.g. no permission).
 */
export async function ensureBudgetSweeperSchedule(client: Client): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: BUDGET_SWEEPER_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: BUDGET_SWEEPER_WORKFLOW,
        // The Schedule appends the tick's timestamp, so runs are `switchyard-budget-sweeper-<time>`.
        workflowId: BUDGET_SWEEPER_SCHEDULE_ID,
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
