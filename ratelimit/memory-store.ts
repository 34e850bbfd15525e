import { WINDOW_MS, add, zeroTally, type Tally } from './sliding-window';
import { scopeKey, type CounterDelta, type CounterTotals, type Limits, type RateLimitStore, type ScopeRef } from './store';

/**
 * A {@link RateLimitStore} in process memory: what several limiters share in unit tests, and
 * the stand-in for Postgres in the fast-path micro benchmark. `latencyMs` delays every call
 * like a database round trip would.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly limits = new Map<string, ScopeRef & Limits>();
  private readonly counters = new Map<string, Tally>();
  /** Calls made, by method. */
  readonly calls = { findLimits: 0, addCounts: 0 };
  /** When set, every call rejects with it (a database outage). */
  failWith: Error | undefined;

  constructor(private readonly latencyMs = 0) {}

  setLimits(ref: ScopeRef, limits: Limits): void {
    this.limits.set(scopeKey(ref), { ...ref, ...limits });
  }

  async findLimits(refs: readonly ScopeRef[]): Promise<ReadonlyArray<ScopeRef & Limits>> {
    this.calls.findLimits += 1;
    await this.delay();
    return refs.flatMap((ref) => this.limits.get(scopeKey(ref)) ?? []);
  }

  async addCounts(deltas: readonly CounterDelta[]): Promise<readonly CounterTotals[]> {
    this.calls.addCounts += 1;
    await this.delay();
    return deltas.map((d) => {
      const id = `${scopeKey(d)}@${d.windowStart}`;
      const current = add(this.counters.get(id) ?? zeroTally(), d.delta);
      this.counters.set(id, current);
      const previous = this.counters.get(`${scopeKey(d)}@${d.windowStart - WINDOW_MS}`) ?? zeroTally();
      return { scope: d.scope, scopeId: d.scopeId, windowStart: d.windowStart, current: { ...current }, previous: { ...previous } };
    });
  }

  async pruneCounters(before: number): Promise<void> {
    for (const id of this.counters.keys()) if (Number(id.slice(id.lastIndexOf('@') + 1)) < before) this.counters.delete(id);
  }

  /** The stored total of one scope's window (what every instance has synced). */
  total(ref: ScopeRef, windowStart: number): Tally {
    return { ...(this.counters.get(`${scopeKey(ref)}@${windowStart}`) ?? zeroTally()) };
  }

  private async delay(): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
  }
}
