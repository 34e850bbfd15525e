import { LimitsCache } from './limits-cache';
import {
  Measure,
  WINDOW_MS,
  add,
  applySynced,
  judge,
  localShare,
  msUntilReset,
  newScopeWindow,
  roll,
  unsynced,
  used,
  windowStartOf,
  zeroTally,
  type ScopeWindow,
  type Tally,
} from './sliding-window';
import { RateLimitScope, scopeKey, type CounterDelta, type Limits, type RateLimitStore, type ScopeRef } from './store';

/** A scope's limits as they apply to one request. */
export interface AppliedLimit extends Limits {
  readonly ref: ScopeRef;
}

/** One measure's state for the response headers: the most constrained scope's. */
export interface LimitSnapshot {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the whole limit is available again, with no new traffic. */
  readonly resetMs: number;
}

export interface Admission {
  readonly admitted: boolean;
  /** Present when an rpm limit applies. */
  readonly requests?: LimitSnapshot;
  /** Present when a tpm limit applies. */
  readonly tokens?: LimitSnapshot;
  /** Refused only: when the request would fit (`Infinity` when it never can). */
  readonly retryAfterMs?: number;
  /** Refused only: which limit refused it. */
  readonly refusedBy?: { readonly ref: ScopeRef; readonly measure: Measure; readonly limit: number; readonly requested: number };
}

export interface RateLimiterOptions {
  readonly store: RateLimitStore;
  /** Epoch ms; injectable for tests. Default `Date.now`. */
  readonly clock?: () => number;
  /** Background sync period in ms (default 250). */
  readonly syncIntervalMs?: number;
  /** How long configured limits are cached, ms (default 5000). */
  readonly limitsTtlMs?: number;
  /**
   * The fraction of the room left (as of the last sync) this instance may admit before it must
   * sync first (default 0.1, at least one request or token).
   */
  readonly shareFraction?: number;
  /** Called when a sync fails (at most every 10 s); the limiter then keeps counting locally. */
  readonly onSyncError?: (err: unknown) => void;
}

interface Tracked {
  readonly ref: ScopeRef;
  readonly window: ScopeWindow;
  lastUsed: number;
  /**
   * False until the first sync, and again after an idle spell without refreshes: such a scope
   * may have traffic from other instances this one has not seen, so it syncs before admitting.
   */
  synced: boolean;
}

/** How long admissions decide locally after a failed sync. */
const STORE_DOWN_BACKOFF_MS = 1_000;

/**
 * Requests- and tokens-per-minute limits shared by every gateway instance, kept off the
 * database for most requests. Each instance counts locally and, every `syncIntervalMs` (and at
 * once when it has used its local share of the room left), adds its counts to the scope's
 * window row in the store and reads the global totals back: one round trip for all active
 * scopes. It admits against (global total at the last sync + local unsent counts).
 *
 * Tolerance: another instance's admissions are invisible here until both have synced, so the
 * limit can be exceeded by what the other instances admit within one sync interval, and never
 * by more than (instances − 1) × the local share per round; near the limit the share is one
 * request, so every admission there is preceded by a sync. A failing store does not block
 * traffic: the limiter keeps counting locally (fails open) and reports through `onSyncError`.
 */
export class RateLimiter {
  private readonly store: RateLimitStore;
  private readonly clock: () => number;
  private readonly shareFraction: number;
  private readonly syncIntervalMs: number;
  private readonly onSyncError: (err: unknown) => void;
  private readonly tracked = new Map<string, Tracked>();
  private readonly limits: LimitsCache;
  private syncing: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  /** After a failed sync, admissions stop waiting for syncs until then (the timer keeps trying). */
  private storeDownUntil = 0;
  private lastErrorReport = -Infinity;
  /** Store round trips for counters (for tests and metrics). */
  syncs = 0;

  constructor(opts: RateLimiterOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? Date.now;
    this.shareFraction = opts.shareFraction ?? 0.1;
    this.syncIntervalMs = opts.syncIntervalMs ?? 250;
    this.onSyncError = opts.onSyncError ?? (() => undefined);
    this.limits = new LimitsCache(this.store, opts.limitsTtlMs ?? 5_000, this.clock);
  }

  /** Store round trips for limit configuration so far. */
  get limitLookups(): number {
    return this.limits.lookups;
  }

  /** Starts the background sync. The timer does not keep the process alive. */
  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.syncIntervalMs);
    this.timer.unref();
  }

  /** Stops the background sync and sends what is still unsent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  /** The limits that apply to a key (its own, its tenant's), or undefined if not cached yet. */
  peekLimits(key: { readonly id: string; readonly tenantId: string }): AppliedLimit[] | undefined {
    const refs = refsOf(key);
    const found = this.limits.peek(refs);
    return found && applied(refs, found);
  }

  /** The limits that apply to a key, loading them when not cached. */
  async loadLimits(key: { readonly id: string; readonly tenantId: string }): Promise<AppliedLimit[]> {
    const refs = refsOf(key);
    return applied(refs, await this.limits.get(refs));
  }

  /** Drops a scope's cached limits (after an admin change through this instance). */
  invalidate(ref: ScopeRef): void {
    this.limits.invalidate(ref);
  }

  /**
   * Admits one request costing `tokens` against every limit in `limits` (all must agree) and
   * counts it; a refused request is not counted.
   */
  async admit(limits: readonly AppliedLimit[], tokens: number): Promise<Admission> {
    for (let fresh = false; ; fresh = true) {
      const now = this.clock();
      let mustSync = false;
      let refusal: { retryAfterMs: number; by: NonNullable<Admission['refusedBy']> } | undefined;
      for (const limit of limits) {
        const w = this.windowOf(limit.ref, now);
        if (!this.tracked.get(scopeKey(limit.ref))!.synced) mustSync = true;
        for (const [measure, max, cost] of measures(limit, tokens)) {
          const verdict = judge(w, measure, { limit: max, cost, shareFraction: this.shareFraction, now, fresh });
          if (verdict.kind === 'refuse' && (!refusal || verdict.retryAfterMs > refusal.retryAfterMs)) {
            refusal = { retryAfterMs: verdict.retryAfterMs, by: { ref: limit.ref, measure, limit: max, requested: cost } };
          } else if (verdict.kind === 'sync') {
            mustSync = true;
          }
        }
      }
      if (refusal) return { admitted: false, ...this.snapshot(limits, now), retryAfterMs: refusal.retryAfterMs, refusedBy: refusal.by };
      // Each sync lets at least one waiting request through, and refusals need none, so the
      // waits end; with the store down the request is decided on local knowledge instead.
      if (mustSync && now >= this.storeDownUntil && (await this.sync())) continue;
      let shareUsed = false;
      for (const limit of limits) {
        const t = this.tracked.get(scopeKey(limit.ref))!;
        t.window.pending = add(t.window.pending, { requests: 1, tokens });
        t.lastUsed = now;
        for (const [measure, max] of measures(limit, tokens)) {
          if (unsynced(t.window, measure) >= localShare(t.window, measure, max, this.shareFraction, now)) shareUsed = true;
        }
      }
      // The local share is used up: tell the other instances now rather than at the next tick.
      if (shareUsed) void this.sync();
      return { admitted: true, ...this.snapshot(limits, now) };
    }
  }

  /**
   * Sends unsent counts of every active scope and reads the global totals back. Concurrent
   * callers share the sync in flight. Resolves false when the store failed.
   */
  sync(): Promise<boolean> {
    this.syncing ??= this.runSync().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async runSync(): Promise<boolean> {
    const now = this.clock();
    const batch: Array<{ t: Tracked; deltas: CounterDelta[] }> = [];
    for (const [id, t] of this.tracked) {
      const w = t.window;
      roll(w, now);
      const hasPending = w.pending.requests > 0 || w.pending.tokens > 0;
      if (!hasPending && !w.stale && now - t.lastUsed > 2 * WINDOW_MS) {
        this.tracked.delete(id);
        continue;
      }
      // Idle scopes are not refreshed: nothing here depends on their totals until they are used.
      if (!hasPending && !w.stale && now - t.lastUsed > WINDOW_MS) {
        t.synced = false;
        continue;
      }
      const deltas: CounterDelta[] = [{ ...t.ref, windowStart: w.windowStart, delta: w.pending }];
      if (w.stale) deltas.push({ ...t.ref, windowStart: w.stale.windowStart, delta: w.stale.tally });
      batch.push({ t, deltas });
    }
    this.maybePrune(now);
    if (batch.length === 0) return true;
    const sent = batch.map(({ t }) => ({ t, stale: t.window.stale, inFlightWindow: t.window.windowStart }));
    for (const { t } of batch) {
      t.window.inFlight = t.window.pending;
      t.window.inFlightWindow = t.window.windowStart;
      t.window.pending = zeroTally();
      t.window.stale = null;
    }
    this.syncs += 1;
    try {
      const totals = await this.store.addCounts(batch.flatMap((b) => b.deltas));
      for (const total of totals) {
        const t = this.tracked.get(scopeKey(total));
        if (t) applySynced(t.window, total);
      }
      for (const { t } of batch) {
        t.window.inFlight = zeroTally();
        t.synced = true;
      }
      return true;
    } catch (err) {
      // Put the counts back: the next sync sends them again.
      for (const { t, stale, inFlightWindow } of sent) {
        const w = t.window;
        if (inFlightWindow === w.windowStart) w.pending = add(w.pending, w.inFlight);
        else addStale(w, inFlightWindow, w.inFlight);
        if (stale) addStale(w, stale.windowStart, stale.tally);
        w.inFlight = zeroTally();
      }
      const failedAt = this.clock();
      this.storeDownUntil = failedAt + STORE_DOWN_BACKOFF_MS;
      // Reported at most every 10 s: the timer retries four times a second during an outage.
      if (failedAt - this.lastErrorReport >= 10_000) {
        this.lastErrorReport = failedAt;
        this.onSyncError(err);
      }
      return false;
    }
  }

  private async tick(): Promise<void> {
    if (this.tracked.size > 0) await this.sync();
  }

  /** Counter rows older than the previous window are dead; one instance a minute deletes them. */
  private maybePrune(now: number): void {
    if (now - this.lastPrune < WINDOW_MS) return;
    this.lastPrune = now;
    this.store.pruneCounters(windowStartOf(now) - WINDOW_MS).catch((err: unknown) => this.onSyncError(err));
  }

  private windowOf(ref: ScopeRef, now: number): ScopeWindow {
    const id = scopeKey(ref);
    let t = this.tracked.get(id);
    if (!t) {
      t = { ref, window: newScopeWindow(now), lastUsed: now, synced: false };
      this.tracked.set(id, t);
    }
    roll(t.window, now);
    return t.window;
  }

  /** Per measure, the scope with the least room left. */
  private snapshot(limits: readonly AppliedLimit[], now: number): Pick<Admission, 'requests' | 'tokens'> {
    const out: { requests?: LimitSnapshot; tokens?: LimitSnapshot } = {};
    for (const limit of limits) {
      const w = this.tracked.get(scopeKey(limit.ref))!.window;
      for (const [measure, max] of measures(limit, 0)) {
        const remaining = Math.max(0, Math.floor(max - used(w, measure, now)));
        const current = out[measure];
        if (!current || remaining < current.remaining) out[measure] = { limit: max, remaining, resetMs: msUntilReset(w, measure, now) };
      }
    }
    return out;
  }
}

/** Adds counts owed to an earlier window; counts for a window older than the one held are dropped. */
function addStale(w: ScopeWindow, windowStart: number, tally: Tally): void {
  if (tally.requests === 0 && tally.tokens === 0) return;
  if (!w.stale || w.stale.windowStart < windowStart) w.stale = { windowStart, tally };
  else if (w.stale.windowStart === windowStart) w.stale = { windowStart, tally: add(w.stale.tally, tally) };
}

function refsOf(key: { readonly id: string; readonly tenantId: string }): ScopeRef[] {
  return [
    { scope: RateLimitScope.Key, scopeId: key.id },
    { scope: RateLimitScope.Tenant, scopeId: key.tenantId },
  ];
}

function applied(refs: readonly ScopeRef[], found: ReadonlyArray<Limits | null>): AppliedLimit[] {
  const out: AppliedLimit[] = [];
  refs.forEach((ref, i) => {
    const limits = found[i];
    if (limits) out.push({ ref, ...limits });
  });
  return out;
}

/** The measures a limit constrains, with the request's cost in each. */
function measures(limit: Limits, tokens: number): Array<[Measure, number, number]> {
  const out: Array<[Measure, number, number]> = [];
  if (limit.rpm !== null) out.push([Measure.Requests, limit.rpm, 1]);
  if (limit.tpm !== null) out.push([Measure.Tokens, limit.tpm, tokens]);
  return out;
}
