import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { postAlertWebhook, WebhookError } from '../budget/alert-webhook';
import { WebhookFailureType } from '../budget/alert-types';
import { getKeyRotation, keysDueForRotation, rotationInGrace } from '../db/key-rotations';
import { beginKeyRotation, cancelKeyRotation, completeKeyRotation, KeyRotationError, KeyRotationErrorCode } from '../rotation/key-rotation';
import {
  DEFAULT_GRACE_PERIOD_SECONDS,
  ROTATION_SYSTEM_ACTOR,
  RotationTrigger,
  type KeyRotationInput,
  type KeyRotationState,
} from '../rotation/key-rotation-types';
import type { SecretBox } from '../secrets/secret-box';

/** What a tenant's webhook receives when the Schedule rotated one of its keys: ids, never the key. */
export interface KeyRotatedPayload {
  readonly object: 'key.rotated';
  /** The rotation id: stable, receivers may deduplicate on it. */
  readonly id: string;
  readonly tenant_id: string;
  readonly key_id: string;
  readonly new_key_id: string;
  readonly sunset_at: string;
  /** Where an admin fetches the new key, once. */
  readonly secret_path: string;
}

export type KeyRotationActivities = ReturnType<typeof createKeyRotationActivities>;

/**
 * The rotation workflow's side effects. Each is one transaction that checks the rotation's
 * state first, so a retry (or a second workflow run) after a commit changes nothing.
 */
export function createKeyRotationActivities(deps: { readonly pool: Pool; readonly box?: SecretBox; readonly webhookTimeoutMs?: number }) {
  return {
    /** Keys past their `max_age_seconds` and not being rotated, at most 50 per run. */
    async listKeysDueForRotation(): Promise<string[]> {
      return keysDueForRotation(deps.pool, 50);
    },

    /**
     * Starts a scheduled rotation in the database (successor issued, its secret sealed for one
     * reveal) and returns the workflow input: ids only. A retry after the commit finds the
     * rotation in grace and returns it; a key rotated meanwhile by an admin, or revoked, gives null.
     */
    async beginScheduledKeyRotation(keyId: string): Promise<KeyRotationInput | null> {
      const existing = await rotationInGrace(deps.pool, keyId);
      if (existing) return existing.trigger === RotationTrigger.Schedule ? inputOf(existing) : null;
      try {
        const { rotation } = await beginKeyRotation(deps.pool, {
          keyId,
          graceSeconds: DEFAULT_GRACE_PERIOD_SECONDS,
          trigger: RotationTrigger.Schedule,
          actor: ROTATION_SYSTEM_ACTOR,
          box: deps.box,
        });
        return inputOf(rotation);
      } catch (err) {
        if (err instanceof KeyRotationError && err.code !== KeyRotationErrorCode.NoMasterKey) return null;
        throw err;
      }
    },

    /**
     * Tells the tenant's webhook (the budget-alert URL) that a key was rotated, with the new
     * key's id and where to fetch it; never the key. No webhook: nothing to do.
     *
     * @throws ApplicationFailure `WebhookFailed` (retryable) or `WebhookRejected` (not).
     */
    async notifyKeyRotated(rotationId: string): Promise<'delivered' | 'no_webhook'> {
      const r = await getKeyRotation(deps.pool, rotationId);
      if (!r) return 'no_webhook';
      const { rows } = await deps.pool.query<{ url: string | null }>('SELECT alert_webhook_url AS url FROM tenants WHERE id = $1', [r.tenantId]);
      const url = rows[0]?.url;
      if (!url) return 'no_webhook';
      const payload: KeyRotatedPayload = {
        object: 'key.rotated',
        id: r.id,
        tenant_id: r.tenantId,
        key_id: r.keyId,
        new_key_id: r.successorId,
        sunset_at: r.sunsetAt.toISOString(),
        secret_path: `/admin/rotations/${r.id}/secret`,
      };
      try {
        await postAlertWebhook(url, payload, { timeoutMs: deps.webhookTimeoutMs });
      } catch (err) {
        const retryable = !(err instanceof WebhookError) || err.retryable;
        throw ApplicationFailure.create({
          type: retryable ? WebhookFailureType.Failed : WebhookFailureType.Rejected,
          message: err instanceof Error ? err.message : String(err),
          nonRetryable: !retryable,
        });
      }
      return 'delivered';
    },

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

function inputOf(r: { id: string; keyId: string; successorId: string; sunsetAt: Date }): KeyRotationInput {
  return { rotationId: r.id, keyId: r.keyId, successorId: r.successorId, sunsetAt: r.sunsetAt.toISOString() };
}
