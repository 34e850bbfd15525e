import { scopeKey, type Limits, type RateLimitStore, type ScopeRef } from './store';

interface Entry {
  limits: Limits | null;
  expiresAt: number;
  refreshing: boolean;
}

/** Most scopes a cache holds before it is cleared (bounds memory). */
const MAX_ENTRIES = 100_000;

/**
 * Configured limits by scope, so a request costs no database round trip for them. A scope
 * seen for the first time is loaded (concurrent first requests share the lookup); after
 * `ttlMs` the cached answer is still served while one background reload refreshes it, so a
 * change made on another instance applies there within about `ttlMs`. "No limit" is cached too.
 */
export class LimitsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Store lookups made (for tests: a key without limits must not cost one per request). */
  lookups = 0;

  constructor(
    private readonly store: RateLimitStore,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  /**
   * The limits of every scope in `refs` (null: none configured), or undefined when one of them
   * was never loaded. Synchronous, so the common case costs no promise.
   */
  peek(refs: readonly ScopeRef[]): Array<Limits | null> | undefined {
    const now = this.clock();
    const out: Array<Limits | null> = [];
    let stale: Array<{ ref: ScopeRef; entry: Entry }> | undefined;
    for (const ref of refs) {
      const entry = this.entries.get(scopeKey(ref));
      if (!entry) return undefined;
      if (entry.expiresAt <= now && !entry.refreshing) (stale ??= []).push({ ref, entry });
      out.push(entry.limits);
    }
    if (stale) {
      // Stale-while-revalidate: one reload for all; a failed one keeps the old values until the next try.
      for (const s of stale) s.entry.refreshing = true;
      this.load(stale.map((s) => s.ref)).catch(() => {
        for (const s of stale) s.entry.refreshing = false;
      });
    }
    return out;
  }

  /** Like {@link peek}, loading what is missing. */
  async get(refs: readonly ScopeRef[]): Promise<Array<Limits | null>> {
    const cached = this.peek(refs);
    if (cached) return cached;
    await this.load(refs.filter((ref) => !this.entries.has(scopeKey(ref))));
    return refs.map((ref) => this.entries.get(scopeKey(ref))?.limits ?? null);
  }

  /** Forgets a scope (after a change through this instance), so the next request reloads it. */
  invalidate(ref: ScopeRef): void {
    this.entries.delete(scopeKey(ref));
  }

  private load(refs: readonly ScopeRef[]): Promise<void> {
    const id = refs.map(scopeKey).join('|');
    let pending = this.inFlight.get(id);
    if (!pending) {
      this.lookups += 1;
      pending = this.store
        .findLimits(refs)
        .then((found) => {
          if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
          const expiresAt = this.clock() + this.ttlMs;
          for (const ref of refs) {
            const row = found.find((f) => f.scope === ref.scope && f.scopeId === ref.scopeId);
            this.entries.set(scopeKey(ref), { limits: row ? { rpm: row.rpm, tpm: row.tpm } : null, expiresAt, refreshing: false });
          }
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }
}
