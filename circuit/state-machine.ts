import type { CircuitSettings } from './settings';

/** The three states of a circuit; `half_open` is an open circuit whose cool-down has passed. */
export const CircuitState = { Closed: 'closed', Open: 'open', HalfOpen: 'half_open' } as const;
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];

/** One deployment's shared circuit, as stored in `circuit_states`. Times are epoch ms. */
export interface CircuitRecord {
  readonly deployment: string;
  /** `closed` or `open` as stored; see {@link effectiveState} for half-open. */
  readonly state: CircuitState;
  /** Open only: when probes may start; null = open until an admin resets it. */
  readonly openUntil: number | null;
  /** Start of the current counting window (closed). */
  readonly windowStart: number;
  readonly successes: number;
  readonly failures: number;
  /** Half-open: probe successes so far. */
  readonly probeSuccesses: number;
  /** Opened by an admin rather than by failures. */
  readonly forced: boolean;
  /** When the stored state last changed. */
  readonly changedAt: number;
  /** Why it last opened or closed (`failures`, `probe_failed`, `probes_succeeded`, `admin_open`, `admin_reset`, `health_check`). */
  readonly reason: string | null;
}

/** Outcomes one process recorded for one deployment since its last sync. */
export interface OutcomeDelta {
  readonly successes: number;
  readonly failures: number;
}

/** A change of stored state, for metrics and logs. */
export interface Transition {
  readonly deployment: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: string;
}

/** A never-seen deployment: closed with an empty window. */
export function closedRecord(deployment: string, now: number): CircuitRecord {
  return {
    deployment,
    state: 'closed',
    openUntil: null,
    windowStart: now,
    successes: 0,
    failures: 0,
    probeSuccesses: 0,
    forced: false,
    changedAt: now,
    reason: null,
  };
}

/** The state requests see: an open circuit whose `openUntil` has passed is half-open. */
export function effectiveState(record: CircuitRecord, now: number): CircuitState {
  if (record.state !== CircuitState.Open) return record.state;
  return record.openUntil !== null && now >= record.openUntil ? CircuitState.HalfOpen : CircuitState.Open;
}

/** Whether a closed circuit's window has enough failures, at a high enough rate, to open. */
export function shouldOpen(successes: number, failures: number, settings: CircuitSettings): boolean {
  if (failures < settings.minFailures) return false;
  return failures / (successes + failures) >= settings.failureRate;
}

/**
 * Folds a batch of outcomes into a record. Closed: counts within the (fixed) window, opening
 * when {@link shouldOpen}. Open: outcomes are stragglers started before it opened and are
 * ignored. Half-open: a single failure re-opens for another `openMs`; enough successes close it
 * with a fresh window. Pure, so the Postgres store and the unit tests share it.
 */
export function applyOutcomes(
  record: CircuitRecord,
  delta: OutcomeDelta,
  settings: CircuitSettings,
  now: number,
  reason = 'failures',
): { record: CircuitRecord; transition?: Transition } {
  const state = effectiveState(record, now);
  if (state === CircuitState.Open) return { record };
  if (state === CircuitState.HalfOpen) {
    if (delta.failures > 0) return reopen(record, settings, now, reason === 'failures' ? 'probe_failed' : reason);
    const probeSuccesses = record.probeSuccesses + delta.successes;
    if (probeSuccesses >= settings.successesToClose) {
      const closed = { ...closedRecord(record.deployment, now), reason: reason === 'failures' ? 'probes_succeeded' : reason };
      return { record: closed, transition: { deployment: record.deployment, from: CircuitState.HalfOpen, to: CircuitState.Closed, reason: closed.reason } };
    }
    return { record: { ...record, probeSuccesses } };
  }
  const fresh = now - record.windowStart >= settings.windowMs;
  const successes = (fresh ? 0 : record.successes) + delta.successes;
  const failures = (fresh ? 0 : record.failures) + delta.failures;
  const counted: CircuitRecord = { ...record, windowStart: fresh ? now : record.windowStart, successes, failures };
  if (delta.failures > 0 && shouldOpen(successes, failures, settings)) return reopen(counted, settings, now, reason);
  return { record: counted };
}

function reopen(record: CircuitRecord, settings: CircuitSettings, now: number, reason: string): { record: CircuitRecord; transition: Transition } {
  const from = effectiveState(record, now);
  return {
    record: { ...record, state: CircuitState.Open, openUntil: now + settings.openMs, probeSuccesses: 0, forced: false, changedAt: now, reason },
    transition: { deployment: record.deployment, from, to: CircuitState.Open, reason },
  };
}

/** An admin's force-open: open for `durationMs`, or until reset when undefined. */
export function forceOpen(record: CircuitRecord, now: number, durationMs: number | undefined): CircuitRecord {
  return {
    ...record,
    state: CircuitState.Open,
    openUntil: durationMs === undefined ? null : now + durationMs,
    probeSuccesses: 0,
    forced: true,
    changedAt: now,
    reason: 'admin_open',
  };
}

/** An admin's reset: closed with a fresh window. */
export function resetRecord(record: CircuitRecord, now: number): CircuitRecord {
  return { ...closedRecord(record.deployment, now), reason: 'admin_reset' };
}
