import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TaskQueue } from './task-queues';

/** The Schedule that health-checks every deployment. */
export const HEALTH_CHECK_SCHEDULE_ID = 'switchyard-health-checks';

/** Workflow type the Schedule starts (workflows/health-check.ts). */
export const HEALTH_CHECK_WORKFLOW = 'deploymentHealthCheckWorkflow';

/**
 * Creates the health-check Schedule (every `intervalSeconds`, overlap SKIP) unless it exists. An
 * existing Schedule is left as it is, its period and an operator's pause included: change the
 * period by deleting it (`temporal schedule delete --schedule-id switchyard-health-checks`).
 *
 * @returns `created` or `exists`.
 */
export async function ensureHealthCheckSchedule(client: Client, intervalSeconds: number): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: HEALTH_CHECK_SCHEDULE_ID,
      spec: { intervals: [{ every: `${intervalSeconds} seconds` }] },
      action: {
        type: 'startWorkflow',
        workflowType: HEALTH_CHECK_WORKFLOW,
        workflowId: HEALTH_CHECK_SCHEDULE_ID,
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
