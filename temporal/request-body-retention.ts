import type { Client } from '@temporalio/client';
import { ensureMinutelySchedule } from './minutely-schedule';

/** The Schedule that deletes logged bodies past their retention. */
export const REQUEST_BODY_RETENTION_SCHEDULE_ID = 'switchyard-request-body-retention';

/** Workflow type the Schedule starts (workflows/delete-expired-request-bodies.ts). */
export const REQUEST_BODY_RETENTION_WORKFLOW = 'deleteExpiredRequestBodiesWorkflow';

/**
 * Creates the retention Schedule (every minute) unless it exists. Every minute keeps each run's
 * delete small, and a body is gone within a minute of its expiry; the list endpoint already
 * hides expired rows in between.
 */
export function ensureRequestBodyRetentionSchedule(client: Client): Promise<'created' | 'exists'> {
  return ensureMinutelySchedule(client, { scheduleId: REQUEST_BODY_RETENTION_SCHEDULE_ID, workflowType: REQUEST_BODY_RETENTION_WORKFLOW });
}
