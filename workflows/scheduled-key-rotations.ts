import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ActivityFailure, log, ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { KeyRotationActivities } from '../activities/key-rotation-activities';
import { keyRotationWorkflowId } from '../temporal/key-rotation-messages';
import { WEBHOOK_RETRY } from './budget-alert';
import { keyRotationWorkflow } from './key-rotation';
import { SWEEP_RETRY } from './release-expired-reservations';

const { listKeysDueForRotation, beginScheduledKeyRotation } = proxyActivities<KeyRotationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: SWEEP_RETRY,
});
// Fewer attempts than a budget alert: the rotation is recorded and listed whatever the webhook does.
const { notifyKeyRotated } = proxyActivities<KeyRotationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { ...WEBHOOK_RETRY, maximumAttempts: 5 },
});

/**
 * Started by the `switchyard-key-rotation` Schedule: rotates every key older than its
 * `max_age_seconds`. Each rotation is begun by an activity (which seals the new key for one
 * reveal through the admin API: nobody is there to be shown it), then runs as its own
 * `rotate-key-<id>` workflow, abandoned so it outlives this run; the tenant's webhook is told
 * the new key's id. Returns the rotation ids started.
 */
export async function scheduledKeyRotationsWorkflow(): Promise<string[]> {
  const started: string[] = [];
  for (const keyId of await listKeysDueForRotation()) {
    const input = await beginScheduledKeyRotation(keyId);
    if (!input) continue;
    try {
      await startChild(keyRotationWorkflow, {
        workflowId: keyRotationWorkflowId(keyId),
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Running already: a previous run of this workflow started it before failing.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      await notifyKeyRotated(input.rotationId);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('key rotation webhook failed', { rotationId: input.rotationId, error: String(err.cause ?? err) });
    }
    started.push(input.rotationId);
  }
  return started;
}
