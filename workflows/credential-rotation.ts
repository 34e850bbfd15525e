import { proxyActivities, sleep } from '@temporalio/workflow';
import type { CredentialRotationActivities } from '../activities/credential-rotation-activities';
import type { CredentialRotationInput } from '../rotation/credential-rotation-types';

// Both steps must happen eventually; each is one idempotent transaction.
const { promoteCredentialVersion, retireCredentialVersion } = proxyActivities<CredentialRotationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 200, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * `rotate-credential-<id>`: the API has staged the new version (sealed in Postgres, so the
 * secret never enters history); this makes it primary with the old one as its fallback, holds
 * the grace period with a durable timer (until the absolute `endsAt`, so a restart changes
 * nothing), then erases the old version.
 */
export async function credentialRotationWorkflow(input: CredentialRotationInput): Promise<void> {
  await promoteCredentialVersion(input.rotationId);
  const remainingMs = Date.parse(input.endsAt) - Date.now();
  if (remainingMs > 0) await sleep(remainingMs);
  await retireCredentialVersion(input.rotationId);
}
