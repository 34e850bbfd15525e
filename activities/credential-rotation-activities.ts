import type { Pool } from 'pg';
import { promoteRotation, retireRotation } from '../rotation/credential-rotation';
import { CREDENTIAL_ROTATION_ACTOR } from '../rotation/credential-rotation-types';

export type CredentialRotationActivities = ReturnType<typeof createCredentialRotationActivities>;

/** The credential rotation workflow's steps: one idempotent transaction each, keyed by the rotation id. */
export function createCredentialRotationActivities(deps: { readonly pool: Pool }) {
  return {
    /** Makes the new version primary and the old one its fallback. */
    async promoteCredentialVersion(rotationId: string): Promise<void> {
      await promoteRotation(deps.pool, rotationId, CREDENTIAL_ROTATION_ACTOR);
    },
    /** Erases the old version and completes the rotation. */
    async retireCredentialVersion(rotationId: string): Promise<void> {
      await retireRotation(deps.pool, rotationId, CREDENTIAL_ROTATION_ACTOR);
    },
  };
}
