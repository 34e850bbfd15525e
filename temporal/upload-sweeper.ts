import type { Client } from '@temporalio/client';
import { ensureMinutelySchedule } from './minutely-schedule';

/** The Schedule that deletes uploads a dead process left `uploading`. */
export const UPLOAD_SWEEPER_SCHEDULE_ID = 'switchyard-upload-sweeper';

/** Workflow type the Schedule starts (workflows/delete-stale-uploads.ts). */
export const UPLOAD_SWEEPER_WORKFLOW = 'deleteStaleUploadsWorkflow';

/** Creates the upload sweeper Schedule (every minute) unless it exists. */
export function ensureUploadSweeperSchedule(client: Client): Promise<'created' | 'exists'> {
  return ensureMinutelySchedule(client, { scheduleId: UPLOAD_SWEEPER_SCHEDULE_ID, workflowType: UPLOAD_SWEEPER_WORKFLOW });
}
