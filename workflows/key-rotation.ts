import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { KeyRotationActivities } from '../activities/key-rotation-activities';
import { KeyRotationState, ROTATION_SYSTEM_ACTOR, type KeyRotationInput } from '../rotation/key-rotation-types';
import { cancelKeyRotationUpdate, finishKeyRotationUpdate, keyRotationStateQuery } from '../temporal/key-rotation-messages';

// Revocation must happen eventually, so retries are many and slow rather than few; the old key
// already stops at its sunset (auth checks it), so a delayed revoke never extends its life.
const { completeKeyRotation, cancelKeyRotation } = proxyActivities<KeyRotationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 200, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type Decision = { readonly kind: 'finish' | 'cancel'; readonly actor: string };

/**
 * `rotate-key-<key id>`: the successor already exists (the API created it, so its secret never
 * enters history); this workflow holds the grace period with a durable timer and then revokes
 * the old key. An admin may end it early: `finishKeyRotation` revokes the old key now,
 * `cancelKeyRotation` revokes the successor and keeps the old key. A worker or server restart
 * replays to the same timer: the sunset instant is an input, not a duration from "now".
 */
export async function keyRotationWorkflow(input: KeyRotationInput): Promise<KeyRotationState> {
  const run: { decision?: Decision; outcome?: KeyRotationState } = {};
  const decide = (kind: Decision['kind']) => async (actor: string) => {
    run.decision ??= { kind, actor };
    await condition(() => run.outcome !== undefined);
    return run.outcome!;
  };
  setHandler(finishKeyRotationUpdate, decide('finish'));
  setHandler(cancelKeyRotationUpdate, decide('cancel'));
  setHandler(keyRotationStateQuery, () => run.outcome ?? KeyRotationState.Grace);

  const remainingMs = Date.parse(input.sunsetAt) - Date.now();
  if (remainingMs > 0) await condition(() => run.decision !== undefined, remainingMs);
  const { kind, actor } = run.decision ?? { kind: 'finish', actor: ROTATION_SYSTEM_ACTOR };
  // Null only if the row vanished, which nothing does: report it as it was meant to end.
  const ended = kind === 'cancel' ? await cancelKeyRotation(input.rotationId, actor) : await completeKeyRotation(input.rotationId, actor);
  run.outcome = ended ?? (kind === 'cancel' ? KeyRotationState.Cancelled : KeyRotationState.Completed);
  await condition(allHandlersFinished);
  return run.outcome;
}
