import type { Pool } from 'pg';
import { cancelKeyRotation, completeKeyRotation } from '../rotation/key-rotation';
import type { KeyRotationState } from '../rotation/key-rotation-types';

export type KeyRotationActivities = ReturnType<typeof createKeyRotationActivities>;

/**
 * The rotation workflow's side effects. Each is one transaction that checks the rotation's
 * state first, so a retry (or a second workflow run) after a commit changes nothing.
 */
export function createKeyRotationActivities(deps: { readonly pool: Pool }) {
  return {
    /** Revokes the old key; returns the rotation's state afterwards (`completed`, or how it ended before). */
    async completeKeyRotation(rotationId: string, actor: string): Promise<KeyRotationState | null> {
      return completeKeyRotation(deps.pool, rotationId, actor);
    },
    /** Revokes the successor and keeps the old key; returns the rotation's state afterwards. */
    async cancelKeyRotation(rotationId: string, actor: string): Promise<KeyRotationState | null> {
      return cancelKeyRotation(deps.pool, rotationId, actor);
    },
  };
}
