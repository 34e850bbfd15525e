/**
 * Key rotation shapes shared by the API, the activities and the workflow (inside the sandbox:
 * no Node imports here). They carry key ids, never secrets.
 */

/** Where a rotation is: both keys work (grace), the old one is revoked, or the new one is. */
export const KeyRotationState = { Grace: 'grace', Completed: 'completed', Cancelled: 'cancelled' } as const;
export type KeyRotationState = (typeof KeyRotationState)[keyof typeof KeyRotationState];

/** Who started a rotation: an admin through the API, or the max-age Schedule. */
export const RotationTrigger = { Admin: 'admin', Schedule: 'schedule' } as const;
export type RotationTrigger = (typeof RotationTrigger)[keyof typeof RotationTrigger];

/** The rotation workflow's input: ids and the sunset instant only. */
export interface KeyRotationInput {
  readonly rotationId: string;
  readonly keyId: string;
  readonly successorId: string;
  /** ISO 8601: when the old key stops working. */
  readonly sunsetAt: string;
}

/** The audit log's actor for steps the rotation workflow takes on its own (the timer, the Schedule). */
export const ROTATION_SYSTEM_ACTOR = 'system:key-rotation';

/** Default grace period of `POST /admin/keys/:id/rotate` and of scheduled rotations: one day. */
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;
