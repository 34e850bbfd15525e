import type { Pool } from 'pg';
import { findKeyByHash, hashKey, type KeyRecord } from '../db/keys';

interface Entry {
  readonly record: KeyRecord | null;
  readonly expiresAt: number;
}

/** Most entries a cache holds before it is cleared (bounds memory under a flood of bad keys). */
const MAX_ENTRIES = 50_000;

/**
 * Resolves client keys to records without a database round trip per request: results (also
 * "unknown key") are cached for `ttlMs` (default 5 s), so a revoke made on another instance
 * takes effect within that time; a revoke through this instance invalidates at once.
 */
export class ClientKeys {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<KeyRecord | null>>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 5_000,
  ) {}

  /** The live key for `secret`, or null when unknown, revoked, disabled or expired. */
  async authenticate(secret: string, now = Date.now()): Promise<KeyRecord | null> {
    const digest = hashKey(secret);
    const id = digest.toString('base64');
    const cached = this.cache.get(id);
    const record = cached && cached.expiresAt > now ? cached.record : await this.load(id, digest, now);
    if (!record || record.revoked || record.disabled) return null;
    if (record.expiresAt && record.expiresAt.getTime() <= now) return null;
    return record;
  }

  /** Drops every cached entry for a key id (after a revoke on this instance). */
  invalidate(keyId: string): void {
    for (const [digest, entry] of this.cache) if (entry.record?.id === keyId) this.cache.delete(digest);
  }

  private load(id: string, digest: Buffer, now: number): Promise<KeyRecord | null> {
    // Concurrent first requests with one key share a single lookup.
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = findKeyByHash(this.pool, digest)
        .then((record) => {
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
