import type { Pool } from 'pg';
import { unixSeconds } from '../api/validation/policy-fields';
import { AuditEntity, writeAudit } from '../db/audit';
import {
  endCredentialRotation,
  getCredential,
  getCredentialRotation,
  promoteCredentialVersion,
  retireCredentialVersion,
  type CredentialInfo,
  type CredentialRotation,
} from '../db/credentials';
import { inTransaction } from '../db/ledger/transaction';

/** A credential in the admin API's shape: ids, kinds, fingerprints, last 4 characters; never a secret. */
export function credentialBody(c: CredentialInfo) {
  const primary = c.versions.find((v) => v.state === 'primary');
  return {
    id: c.id,
    object: 'credential',
    provider: c.provider,
    kind: primary?.kind ?? null,
    fingerprint: primary?.fingerprint ?? null,
    last4: primary?.last4 ?? null,
    created_at: unixSeconds(c.createdAt),
    updated_at: unixSeconds(c.updatedAt),
    versions: c.versions.map((v) => ({
      version: v.version,
      kind: v.kind,
      state: v.state,
      reference: v.reference,
      fingerprint: v.fingerprint,
      last4: v.last4,
      created_at: unixSeconds(v.createdAt),
      retired_at: unixSeconds(v.retiredAt),
    })),
  };
}

/** A credential rotation in the admin API's shape. */
export function credentialRotationBody(r: CredentialRotation) {
  return {
    id: r.id,
    object: 'credential_rotation',
    credential_id: r.credentialId,
    from_version: r.fromVersion,
    to_version: r.toVersion,
    status: r.state,
    grace_period_seconds: r.gracePeriodSeconds,
    ends_at: unixSeconds(r.endsAt),
    workflow_id: r.workflowId,
    created_at: unixSeconds(r.createdAt),
    finished_at: unixSeconds(r.finishedAt),
  };
}

/**
 * Step 1 of a credential rotation: the new version becomes primary, the old one its fallback.
 * Idempotent (a promoted version is left as it is); audited once, when it changes something.
 */
export async function promoteRotation(pool: Pool, rotationId: string, actor: string): Promise<void> {
  await inTransaction(pool, async (db) => {
    const r = await getCredentialRotation(db, rotationId);
    if (!r || r.state !== 'grace') return;
    const before = await getCredential(db, r.credentialId, { forUpdate: true });
    if (!before || before.versions.find((v) => v.version === r.toVersion)?.state !== 'staged') return;
    await promoteCredentialVersion(db, r.credentialId, r.fromVersion, r.toVersion);
    const after = (await getCredential(db, r.credentialId))!;
    await writeAudit(db, {
      actor,
      action: 'promote',
      entityType: AuditEntity.Credential,
      entityId: r.credentialId,
      tenantId: null,
      before: credentialBody(before),
      after: credentialBody(after),
    });
  });
}

/** Step 2, after the grace period: the old version is retired (its secret erased). Idempotent. */
export async function retireRotation(pool: Pool, rotationId: string, actor: string): Promise<void> {
  await inTransaction(pool, async (db) => {
    const r = await getCredentialRotation(db, rotationId);
    if (!r || r.state !== 'grace') return;
    const before = await getCredential(db, r.credentialId, { forUpdate: true });
    await retireCredentialVersion(db, r.credentialId, r.fromVersion);
    await endCredentialRotation(db, rotationId, 'completed');
    const after = await getCredential(db, r.credentialId);
    await writeAudit(db, {
      actor,
      action: 'retire',
      entityType: AuditEntity.Credential,
      entityId: r.credentialId,
      tenantId: null,
      before: before && credentialBody(before),
      after: after && credentialBody(after),
    });
  });
}
