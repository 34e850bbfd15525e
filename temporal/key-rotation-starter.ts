import type { Client } from '@temporalio/client';
import type { KeyRotationInput } from '../rotation/key-rotation-types';
import { keyRotationWorkflowId } from './key-rotation-messages';
import { TaskQueue } from './task-queues';

/** Workflow type of a key rotation (workflows/key-rotation.ts). */
export const KEY_ROTATION_WORKFLOW = 'keyRotationWorkflow';

/**
 * Starts `rotate-key-<key id>` for a rotation the database has just recorded. Its input holds
 * ids and the sunset instant only: the new secret never enters workflow history.
 *
 * @throws WorkflowExecutionAlreadyStartedError while another rotation of the key runs.
 */
export async function startKeyRotationWorkflow(client: Client, input: KeyRotationInput): Promise<void> {
  await client.workflow.start(KEY_ROTATION_WORKFLOW, {
    taskQueue: TaskQueue.Interactive,
    workflowId: keyRotationWorkflowId(input.keyId),
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}
