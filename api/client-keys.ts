import type { Pool } from 'pg';
import { findKeyByHash, hashKey, type AuthenticatedKeyRecord } from '../db/keys';
import { mergePolicies, type Policy } from './policies';

/** An authenticated key: its record with the tenant's and its own rules merged. */
export interface ClientKey extends AuthenticatedKeyRecord {
  readonly policy: Policy;
}

/** Why a secret does not authenticate. */
export const KeyRefusal = { Unknown: 'unknown', Revoked: 'revoked', Disabled: 'disabled', Expired: 'expired', Rotated: 'rotated' } as const;
export type KeyRefusal = (typeof KeyRefusal)[keyof typeof KeyRefusal];

export type KeyCheck = { readonly ok: true; readonly key: ClientKey } | { readonly ok: false; readonly reason: KeyRefusal };

interface Entry {
  readonly record: ClientKey | null;
  readonly expiresAt: number;
}

/** Most entries a cache holds before it is cleared (bounds memory under a flood of bad keys). */
const MAX_ENTRIES = 50_000;

/**
 * Resolves client keys to records without a database round trip per request: results (also
 * "unknown key"), with the key's and its tenant's policies, are cached for `ttlMs` (default
 * 5 s). A revoke, disable or policy change made through another instance therefore takes
 * effect here within `ttlMs` (plus the lookup's own duration); one made through this
 * instance invalidates at once. The same holds for whether a budget applies to the key
 * (`budgeted`), which spares the money path a query per request when none does.
 */
export class ClientKeys {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ClientKey | null>>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 5_000,
  ) {}

  /** The live key for `secret`, or why there is none (unknown, revoked, disabled, expired). */
  async authenticate(secret: string, now = Date.now()): Promise<KeyCheck> {
    const digest = hashKey(secret);
    const id = digest.toString('base64');
    const cached = this.cache.get(id);
    const record = cached && cached.expiresAt > now ? cached.record : await this.load(id, digest, now);
    if (!record) return { ok: false, reason: KeyRefusal.Unknown };
    if (record.revoked) return { ok: false, reason: KeyRefusal.Revoked };
    if (record.disabled) return { ok: false, reason: KeyRefusal.Disabled };
    if (record.expiresAt && record.expiresAt.getTime() <= now) return { ok: false, reason: KeyRefusal.Expired };
    // A rotated-away key stops exactly at its sunset, whether or not the revocation has run yet.
    if (record.sunsetAt && record.sunsetAt.getTime() <= now) return { ok: false, reason: KeyRefusal.Rotated };
    return { ok: true, key: record };
  }

  /** Drops every cached entry for a key id (after a change to it on this instance). */
  invalidate(keyId: string): void {
    for (const [digest, entry] of this.cache) if (entry.record?.id === keyId) this.cache.delete(digest);
  }

  /** Drops every cached key of a tenant (after a change to the tenant's policy or budgets on this instance). */
  invalidateTenant(tenantId: string): void {
    for (const [digest, entry] of this.cache) if (entry.record?.tenantId === tenantId) this.cache.delete(digest);
  }

  private load(id: string, digest: Buffer, now: number): Promise<ClientKey | null> {
    // Concurrent first requests with one key share a single lookup.
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = findKeyByHash(this.pool, digest)
        .then((found) => {
          const record = found ? { ...found, policy: mergePolicies(found.tenantPolicy, found.keyPolicy) } : null;
          if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
          this.cache.set(id, { record, expiresAt: now + this.ttlMs });
          return record;
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }
}
