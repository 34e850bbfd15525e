import type { CircuitConfig } from '../config/gateway-config';
import { CallOutcome } from './outcome';
import type { CircuitSettings } from './settings';
import { applyOutcomes, closedRecord, effectiveState, CircuitState, type CircuitRecord, type OutcomeDelta, type Transition } from './state-machine';
import type { CircuitDelta, CircuitStore } from './store';

/** What a caller may do with a deployment right now. */
export type CallPermit =
  | { readonly kind: 'allow' }
  /** A half-open trial: the caller must `release` it, whatever happens. */
  | { readonly kind: 'probe' }
  | { readonly kind: 'deny'; readonly state: CircuitState; readonly retryAfterMs: number | undefined };

export interface CircuitBreakersOptions {
  readonly store: CircuitStore;
  readonly config: CircuitConfig;
  /** Epoch ms; injectable for tests. */
  readonly clock?: () => number;
  /** A transition this process wrote (or an admin change it applied). */
  readonly onTransition?: (t: Transition) => void;
  /** Every known deployment's state after each sync. */
  readonly onStates?: (states: ReadonlyArray<{ deployment: string; state: CircuitState }>) => void;
  /** A failed sync (reported at most every 10 s); the process keeps deciding on what it knows. */
  readonly onSyncError?: (err: unknown) => void;
}

const ZERO: OutcomeDelta = Object.freeze({ successes: 0, failures: 0 });

/**
 * Circuit breakers per deployment, shared by every gateway process through a store (Postgres),
 * decided in memory. Requests read the local copy (a map lookup, no database); outcomes are
 * counted locally and sent in one batch every `syncIntervalMs`, which also reads back every
 * record, so each process sees the others' transitions within one interval. When an outcome
 * makes the local copy change state (open after failures, re-open after a failed probe, close
 * after enough probe successes) the process stops using the deployment at once and syncs
 * immediately: the store decides the transition under a row lock, so concurrent processes agree.
 *
 * Half-open probes are limited per process (`half_open_probes` each), not globally: with N
 * processes up to N × that many trial requests may run at once.
 */
export class CircuitBreakers {
  private readonly store: CircuitStore;
  private readonly config: CircuitConfig;
  private readonly clock: () => number;
  private readonly opts: CircuitBreakersOptions;
  private readonly records = new Map<string, CircuitRecord>();
  private readonly pending = new Map<string, { delta: OutcomeDelta; reason?: string }>();
  private readonly probes = new Map<string, number>();
  private syncing: Promise<boolean> | undefined;
  private queued: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastErrorReport = -Infinity;
  /** Store round trips so far (tests). */
  syncs = 0;

  constructor(opts: CircuitBreakersOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.config = opts.config;
    this.clock = opts.clock ?? Date.now;
  }

  /** The settings of a deployment (its overrides merged over the defaults). */
  settingsFor(deployment: string): CircuitSettings {
    return this.config.byDeployment.get(deployment) ?? this.config.defaults;
  }

  /** Starts the background sync (not when every breaker is off); the timer does not keep the process alive. */
  start(): void {
    const anyEnabled = this.config.defaults.enabled || [...this.config.byDeployment.values()].some((s) => s.enabled);
    if (!anyEnabled) return;
    this.timer ??= setInterval(() => void this.sync(), this.config.syncIntervalMs);
    this.timer.unref();
  }

  /** Stops the background sync and sends the outcomes not sent yet. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sync();
  }

  /** The state requests see now; `closed` for a deployment never seen or with breakers off. */
  state(deployment: string): CircuitState {
    const record = this.records.get(deployment);
    if (!record || !this.settingsFor(deployment).enabled) return CircuitState.Closed;
    return effectiveState(record, this.clock());
  }

  /** True while the deployment is open and not yet probing: plans leave it out. */
  isOpen(deployment: string): boolean {
    return this.state(deployment) === CircuitState.Open;
  }

  /** Until the deployment's cool-down ends, ms; undefined when it is not open or open until reset. */
  retryAfterMs(deployment: string): number | undefined {
    const record = this.records.get(deployment);
    if (!record || record.openUntil === null || this.state(deployment) !== CircuitState.Open) return undefined;
    return Math.max(0, record.openUntil - this.clock());
  }

  /** Asks to call a deployment now. Open: deny. Half-open: a probe while this process has a slot. */
  acquire(deployment: string): CallPermit {
    const state = this.state(deployment);
    if (state === CircuitState.Closed) return { kind: 'allow' };
    if (state === CircuitState.HalfOpen) {
      const inFlight = this.probes.get(deployment) ?? 0;
      if (inFlight < this.settingsFor(deployment).halfOpenProbes) {
        this.probes.set(deployment, inFlight + 1);
        return { kind: 'probe' };
      }
    }
    return { kind: 'deny', state, retryAfterMs: this.retryAfterMs(deployment) };
  }

  /** Reports how a permitted call went, and hands back its probe slot. */
  release(deployment: string, permit: CallPermit, outcome: CallOutcome): void {
    if (permit.kind === 'probe') this.probes.set(deployment, Math.max(0, (this.probes.get(deployment) ?? 1) - 1));
    this.record(deployment, outcome);
  }

  /** Counts one outcome; a resulting local transition is written through at once. */
  record(deployment: string, outcome: CallOutcome, reason?: string): void {
    const settings = this.settingsFor(deployment);
    if (outcome === CallOutcome.Neutral || !settings.enabled) return;
    const delta: OutcomeDelta = outcome === CallOutcome.Success ? { successes: 1, failures: 0 } : { successes: 0, failures: 1 };
    const now = this.clock();
    const held = this.pending.get(deployment);
    this.pending.set(deployment, { delta: addDelta(held?.delta ?? ZERO, delta), reason: reason ?? held?.reason });
    const local = this.records.get(deployment) ?? closedRecord(deployment, now);
    const { record, transition } = applyOutcomes(local, delta, settings, now, reason);
    this.records.set(deployment, record);
    if (transition) void this.sync();
  }

  /**
   * Records a health check's result and writes it through (a background check is rare, and its
   * point is to move the shared state). Resolves once the store has it, false if that failed.
   */
  async recordHealthCheck(deployment: string, healthy: boolean): Promise<boolean> {
    this.record(deployment, healthy ? CallOutcome.Success : CallOutcome.Failure, 'health_check');
    return this.sync();
  }

  /** Takes a record an admin wrote to the store, so this process applies it at once. */
  adopt(record: CircuitRecord, transition?: Transition): void {
    this.records.set(record.deployment, record);
    this.pending.delete(record.deployment);
    if (transition) this.opts.onTransition?.(transition);
  }

  /**
   * Sends pending outcomes and reads every record back. A call during a sync in flight gets the
   * next sync (one, shared by every such caller), so what it recorded is in the store when it
   * resolves. Resolves false when the store failed.
   */
  sync(): Promise<boolean> {
    if (this.syncing) {
      this.queued ??= this.syncing.then(() => {
        this.queued = undefined;
        return this.sync();
      });
      return this.queued;
    }
    this.syncing = this.runSync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async runSync(): Promise<boolean> {
    const sent = new Map(this.pending);
    this.pending.clear();
    const deltas: CircuitDelta[] = [...sent].map(([deployment, p]) => ({
      deployment,
      delta: p.delta,
      reason: p.reason,
      settings: this.settingsFor(deployment),
    }));
    this.syncs += 1;
    try {
      const now = this.clock();
      const result = await this.store.sync(deltas, now);
      const after = this.clock();
      for (const stored of result.records) {
        // Outcomes that arrived during the round trip are not in the store yet: keep them applied.
        const unsent = this.pending.get(stored.deployment);
        const settings = this.settingsFor(stored.deployment);
        this.records.set(stored.deployment, unsent ? applyOutcomes(stored, unsent.delta, settings, after, unsent.reason).record : stored);
      }
      for (const t of result.transitions) this.opts.onTransition?.(t);
      this.opts.onStates?.([...this.records.values()].map((r) => ({ deployment: r.deployment, state: effectiveState(r, after) })));
      return true;
    } catch (err) {
      for (const [deployment, p] of sent) {
        const unsent = this.pending.get(deployment);
        this.pending.set(deployment, { delta: addDelta(p.delta, unsent?.delta ?? ZERO), reason: p.reason ?? unsent?.reason });
      }
      const failedAt = this.clock();
      if (failedAt - this.lastErrorReport >= 10_000) {
        this.lastErrorReport = failedAt;
        this.opts.onSyncError?.(err);
      }
      return false;
    }
  }
}

function addDelta(a: OutcomeDelta, b: OutcomeDelta): OutcomeDelta {
  return { successes: a.successes + b.successes, failures: a.failures + b.failures };
}
