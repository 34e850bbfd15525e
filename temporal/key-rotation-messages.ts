import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { KeyRotationState } from '../rotation/key-rotation-types';

/**
 * `rotate-key-<key id>`: one rotation per key at a time, so a second start while one runs is
 * refused by Temporal as well as by the database's partial unique index.
 */
export function keyRotationWorkflowId(keyId: string): string {
  return `rotate-key-${keyId}`;
}

/**
 * Updates rather than signals: the admin API learns the outcome (the rotation's final state)
 * in the same call. The argument is the admin's audit actor (a token fingerprint, never a secret).
 * Whichever of finish, cancel and the grace timer comes first decides; a later one gets that
 * outcome back.
 */
export const finishKeyRotationUpdate = defineUpdate<KeyRotationState, [actor: string]>('finishKeyRotation');
export const cancelKeyRotationUpdate = defineUpdate<KeyRotationState, [actor: string]>('cancelKeyRotation');

/** The rotation's state as the workflow sees it (`grace` until a step has run). */
export const keyRotationStateQuery = defineQuery<KeyRotationState>('keyRotationState');
