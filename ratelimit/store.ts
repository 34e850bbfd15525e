import type { SyncedTotals, Tally } from './sliding-window';

/** The levels a rate limit can be set at. */
export const RateLimitScope = { Key: 'key', Tenant: 'tenant' } as const;
export type RateLimitScope = (typeof RateLimitScope)[keyof typeof RateLimitScope];

/** One scope: a key id or a tenant id. */
export interface ScopeRef {
  readonly scope: RateLimitScope;
  readonly scopeId: string;
}

/** Per-minute limits of a scope; null means no limit on that measure. */
export interface Limits {
  readonly rpm: number | null;
  readonly tpm: number | null;
}

/** Counts one instance adds to one scope's window row. */
export interface CounterDelta extends ScopeRef {
  readonly windowStart: number;
  readonly delta: Tally;
}

/** A window row's totals after the add, with the previous window's totals. */
export interface CounterTotals extends ScopeRef, SyncedTotals {}

/**
 * Where limits are configured and counters are shared between instances. Postgres in
 * production (`db/rate-limits.ts`); an in-memory fake for unit tests and the micro benchmark.
 */
export interface RateLimitStore {
  /** The configured limits of those scopes; scopes without a row are left out. */
  findLimits(refs: readonly ScopeRef[]): Promise<ReadonlyArray<ScopeRef & Limits>>;
  /**
   * Adds every delta to its (scope, window) row in one round trip and returns each row's new
   * totals. A zero delta only reads. Deltas must name distinct rows.
   */
  addCounts(deltas: readonly CounterDelta[]): Promise<readonly CounterTotals[]>;
  /** Deletes counter rows of windows starting before `before` (epoch ms). */
  pruneCounters(before: number): Promise<void>;
}

/** The map key of a scope. */
export function scopeKey(ref: ScopeRef): string {
  return `${ref.scope}:${ref.scopeId}`;
}
