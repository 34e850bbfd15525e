import type { CircuitSettings } from './settings';
import { applyOutcomes, closedRecord, type CircuitRecord, type OutcomeDelta, type Transition } from './state-machine';

/** One deployment's outcomes to fold into its shared record. */
export interface CircuitDelta {
  readonly deployment: string;
  readonly delta: OutcomeDelta;
  readonly settings: CircuitSettings;
  /** Why a resulting transition happens (default `failures`; health checks pass `health_check`). */
  readonly reason?: string;
}

/** What a sync wrote and read back. */
export interface CircuitSyncResult {
  /** Every stored record, the other instances' changes included. */
  readonly records: readonly CircuitRecord[];
  /** Transitions this sync wrote. */
  readonly transitions: readonly Transition[];
}

/**
 * Where circuits are shared between gateway processes: Postgres in production
 * (`db/circuits.ts`), a map in unit tests.
 */
export interface CircuitStore {
  /**
   * Folds each delta into its record under a row lock (one writer at a time decides a
   * transition), then reads every record back. With no deltas it only reads.
   */
  sync(deltas: readonly CircuitDelta[], now: number): Promise<CircuitSyncResult>;
}

/** Folds deltas into records: the shared rule of every store. */
export function foldDeltas(
  current: ReadonlyMap<string, CircuitRecord>,
  deltas: readonly CircuitDelta[],
  now: number,
): { changed: CircuitRecord[]; transitions: Transition[] } {
  const changed: CircuitRecord[] = [];
  const transitions: Transition[] = [];
  for (const d of deltas) {
    const before = current.get(d.deployment) ?? closedRecord(d.deployment, now);
    const { record, transition } = applyOutcomes(before, d.delta, d.settings, now, d.reason);
    changed.push(record);
    if (transition) transitions.push(transition);
  }
  return { changed, transitions };
}

/** An in-memory {@link CircuitStore} shared by several `CircuitBreakers` in one process (unit tests). */
export class MemoryCircuitStore implements CircuitStore {
  readonly records = new Map<string, CircuitRecord>();
  /** Round trips so far. */
  syncs = 0;

  async sync(deltas: readonly CircuitDelta[], now: number): Promise<CircuitSyncResult> {
    this.syncs += 1;
    const { changed, transitions } = foldDeltas(this.records, deltas, now);
    for (const r of changed) this.records.set(r.deployment, r);
    return { records: [...this.records.values()], transitions };
  }

  /** Writes a record as is (what the admin routes do through Postgres). */
  put(record: CircuitRecord): void {
    this.records.set(record.deployment, record);
  }
}
