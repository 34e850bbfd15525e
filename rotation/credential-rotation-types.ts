/** Input of `rotate-credential-<id>` (workflow-safe: no Node imports). Versions only, never a secret. */
export interface CredentialRotationInput {
  readonly rotationId: string;
  readonly credentialId: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  /** ISO 8601: when the old version stops being a fallback and is erased. */
  readonly endsAt: string;
}

/** `rotate-credential-<credential id>`: one rotation per credential at a time. */
export function credentialRotationWorkflowId(credentialId: string): string {
  return `rotate-credential-${credentialId}`;
}

/** The audit log's actor for the credential rotation workflow's own steps. */
export const CREDENTIAL_ROTATION_ACTOR = 'system:credential-rotation';
