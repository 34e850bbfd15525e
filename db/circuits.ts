import type { Pool } from 'pg';
import type { CircuitRecord, Transition } from '../circuit/state-machine';
import { effectiveState, forceOpen, resetRecord } from '../circuit/state-machine';
import { foldDeltas, type CircuitDelta, type CircuitStore, type CircuitSyncResult } from '../circuit/store';
import { AuditEntity, writeAudit } from './audit';
import { inTransaction } from './ledger/transaction';
import type { Queryable } from './queryable';

interface CircuitRow {
  deployment: string;
  state: 'closed' | 'open';
  open_until: Date | null;
  window_start: Date;
  successes: string;
  failures: string;
  probe_successes: number;
  forced: boolean;
  reason: string | null;
  changed_at: Date;
}

const COLUMNS = 'deployment, state, open_until, window_start, successes, failures, probe_successes, forced, reason, changed_at';

function toRecord(r: CircuitRow): CircuitRecord {
  return {
    deployment: r.deployment,
    state: r.state,
    openUntil: r.open_until ? r.open_until.getTime() : null,
    windowStart: r.window_start.getTime(),
    successes: Number(r.successes),
    failures: Number(r.failures),
    probeSuccesses: r.probe_successes,
    forced: r.forced,
    reason: r.reason,
    changedAt: r.changed_at.getTime(),
  };
}

/** Creates missing rows (closed) and locks the rows of `deployments`, in a fixed order so two writers cannot deadlock. */
async function lockRows(db: Queryable, deployments: readonly string[], now: number): Promise<Map<string, CircuitRecord>> {
  const sorted = [...new Set(deployments)].sort();
  await db.query(
    `INSERT INTO circuit_states (deployment, state, window_start, changed_at)
     SELECT d, 'closed', to_timestamp($2 / 1000.0), to_timestamp($2 / 1000.0) FROM unnest($1::text[]) AS d ORDER BY d
     ON CONFLICT (deployment) DO NOTHING`,
    [sorted, now],
  );
  const { rows } = await db.query<CircuitRow>(`SELECT ${COLUMNS} FROM circuit_states WHERE deployment = ANY($1::text[]) ORDER BY deployment FOR UPDATE`, [
    sorted,
  ]);
  return new Map(rows.map((r) => [r.deployment, toRecord(r)]));
}

async function writeRecords(db: Queryable, records: readonly CircuitRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `UPDATE circuit_states c SET state = u.state, open_until = to_timestamp(u.open_until / 1000.0), window_start = to_timestamp(u.window_start / 1000.0),
       successes = u.successes, failures = u.failures, probe_successes = u.probe_successes, forced = u.forced, reason = u.reason,
       changed_at = to_timestamp(u.changed_at / 1000.0), updated_at = now()
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::bigint[], $6::bigint[], $7::int[], $8::bool[], $9::text[], $10::float8[])
       AS u(deployment, state, open_until, window_start, successes, failures, probe_successes, forced, reason, changed_at)
     WHERE c.deployment = u.deployment`,
    [
      records.map((r) => r.deployment),
      records.map((r) => (r.state === 'closed' ? 'closed' : 'open')),
      records.map((r) => r.openUntil),
      records.map((r) => r.windowStart),
      records.map((r) => r.successes),
      records.map((r) => r.failures),
      records.map((r) => r.probeSuccesses),
      records.map((r) => r.forced),
      records.map((r) => r.reason),
      records.map((r) => r.changedAt),
    ],
  );
}

/** Every stored circuit. */
export async function listCircuits(db: Queryable): Promise<CircuitRecord[]> {
  const { rows } = await db.query<CircuitRow>(`SELECT ${COLUMNS} FROM circuit_states ORDER BY deployment`);
  return rows.map(toRecord);
}

/**
 * The Postgres {@link CircuitStore}. A sync with outcomes is one short transaction (create
 * missing rows, lock them in order, fold, write) followed by a read of every row; without
 * outcomes it is the read alone.
 */
export class PgCircuitStore implements CircuitStore {
  constructor(private readonly pool: Pool) {}

  async sync(deltas: readonly CircuitDelta[], now: number): Promise<CircuitSyncResult> {
    if (deltas.length === 0) return { records: await listCircuits(this.pool), transitions: [] };
    return inTransaction(this.pool, async (db) => {
      const current = await lockRows(
        db,
        deltas.map((d) => d.deployment),
        now,
      );
      const { changed, transitions } = foldDeltas(current, deltas, now);
      await writeRecords(db, changed);
      return { records: await listCircuits(db), transitions };
    });
  }
}

/** The admin API's view of a record, before and after a change, for the audit log. */
function auditView(r: CircuitRecord, now: number) {
  return { state: effectiveState(r, now), open_until: r.openUntil === null ? null : new Date(r.openUntil).toISOString(), forced: r.forced };
}

/**
 * An admin change to one circuit, written through with its audit row in one transaction:
 * `open` (for `durationMs`, or until reset when undefined) or `reset` (closed, counters cleared).
 */
export async function changeCircuit(
  pool: Pool,
  change: { deployment: string; action: 'open' | 'reset'; durationMs?: number; actor: string; now: number },
): Promise<{ record: CircuitRecord; transition?: Transition }> {
  return inTransaction(pool, async (db) => {
    const before = (await lockRows(db, [change.deployment], change.now)).get(change.deployment)!;
    const after = change.action === 'open' ? forceOpen(before, change.now, change.durationMs) : resetRecord(before, change.now);
    await writeRecords(db, [after]);
    await writeAudit(db, {
      actor: change.actor,
      action: change.action === 'open' ? 'force_open' : 'reset',
      entityType: AuditEntity.Circuit,
      entityId: change.deployment,
      tenantId: null,
      before: auditView(before, change.now),
      after: auditView(after, change.now),
    });
    const from = effectiveState(before, change.now);
    const to = effectiveState(after, change.now);
    return { record: after, transition: from === to ? undefined : { deployment: change.deployment, from, to, reason: after.reason ?? change.action } };
  });
}
