import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { TaskQueue } from './task-queues';

/** The Schedule that rotates keys past their `max_age_seconds`. */
export const KEY_ROTATION_SCHEDULE_ID = 'switchyard-key-rotation';

/** Workflow type the Schedule starts (workflows/scheduled-key-rotations.ts). */
export const KEY_ROTATION_SCHEDULE_WORKFLOW = 'scheduledKeyRotationsWorkflow';

/**
 * Creates the key rotation Schedule unless it exists: every `every` (default 5 minutes; the
 * smallest max age is an hour), overlap SKIP. An existing Schedule is left as it is.
 */
export async function ensureKeyRotationSchedule(client: Client, opts: { every?: Duration } = {}): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId: KEY_ROTATION_SCHEDULE_ID,
      spec: { intervals: [{ every: opts.every ?? '5 minutes' }] },
      action: {
        type: 'startWorkflow',
        workflowType: KEY_ROTATION_SCHEDULE_WORKFLOW,
        workflowId: KEY_ROTATION_SCHEDULE_ID,
        taskQueue: TaskQueue.Interactive,
        workflowExecutionTimeout: '10 minutes',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
