import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { TaskQueue } from './task-queues';

/**
 * Creates a maintenance Schedule if it does not exist: `workflowType` every minute on the
 * interactive task queue, overlap SKIP (a slow run is never joined by a second one; the next
 * tick catches up). Idempotent across instances and restarts: an existing Schedule is left as
 * it is, including a pause an operator set on it. The Schedule appends each tick's timestamp to
 * the workflow id, so runs are `<scheduleId>-<time>`.
 *
 * @returns `created`, or `exists` when the Schedule was already there.
 * @throws the client's errors other than "already running" (e.g. no permission).
 */
export async function ensureMinutelySchedule(client: Client, opts: { scheduleId: string; workflowType: string }): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: opts.scheduleId,
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: opts.workflowType,
        workflowId: opts.scheduleId,
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
