import type { Pool, PoolClient } from 'pg';
import { unitsToUsd, usdToUnits } from '../../prices/usd';
import { periodWindow } from './periods';
import { inTransaction } from './transaction';
import { type BudgetScope, ReservationState, type BudgetPeriod, type BudgetRefusal, type ReserveResult, type ReservedBudget } from './types';

export interface ReserveInput {
  /** Idempotency key, e.g. the workflow id: a retry with the same id returns the first outcome. */
  readonly reservationId: string;
  readonly tenantId: string;
  readonly teamId?: string | null;
  readonly keyId: string;
  /** The estimated cost, USD (number or exact decimal string). */
  readonly amountUsd: number | string;
  /** After this, the sweeper (releaseExpired) hands the amount back. */
  readonly expiresAt: Date;
  /** The clock; picks the period windows. Default: now. */
  readonly now?: Date;
  /**
   * Batch items set this: a refusal that only other requests' holds cause (every level would have
   * room with nothing held: spent + amount <= limit) is not recorded. The transaction rolls back,
   * the result says `waitable`, and the same id may be reserved again once holds settle or are
   * released. Without it every refusal is final for its id, as the API's callers need.
   */
  readonly uncommittedWhileHeld?: boolean;
}

/** Thrown inside the transaction to roll a hold-caused refusal back; never leaves this module. */
class HeldRoomRefusal extends Error {
  constructor(readonly refusal: BudgetRefusal) {
    super('refused while other holds fill the budget');
  }
}

interface ApplicableBudget {
  id: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  limit_usd: string;
}

interface LockedPeriod {
  budget_id: string;
  reserved: string;
  spent: string;
}

// Most specific level first, so a refusal names the narrowest budget that is full.
const LEVEL_ORDER: Record<BudgetScope, number> = { key: 0, team: 1, tenant: 2 };

/**
 * Reserves `amountUsd` against every budget of the key, its team and its tenant, in one
 * transaction: either every level has room (reserved + spent + amount <= limit) and all are
 * charged, or none is and the refusal names the level, its limit and when it resets.
 *
 * Concurrency: the period rows are locked with SELECT … FOR UPDATE in budget-id order, the
 * same order settle and release use, so concurrent reservations serialise per budget without
 * deadlocks and can never push reserved + spent past a limit.
 *
 * Idempotency: the reservation row (keyed by `reservationId`) is inserted first; a second call
 * with the same id waits for the first to commit and returns its outcome, refused or not,
 * without reserving again (the other inputs of the second call are ignored).
 *
 * @throws RangeError for a negative or malformed amount; pg errors for unknown tenant/team/key ids.
 */
export async function reserve(pool: Pool, input: ReserveInput): Promise<ReserveResult> {
  try {
    return await reserveInTransaction(pool, input);
  } catch (err) {
    if (err instanceof HeldRoomRefusal) return { ok: false, reservationId: input.reservationId, refusal: err.refusal, replayed: false, waitable: true };
    throw err;
  }
}

async function reserveInTransaction(pool: Pool, input: ReserveInput): Promise<ReserveResult> {
  const amount = usdToUnits(input.amountUsd);
  const now = input.now ?? new Date();
  return inTransaction(pool, async (client) => {
    const inserted = await client.query(
      `INSERT INTO reservations (id, tenant_id, team_id, key_id, amount_usd, state, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'reserved', $6, $7) ON CONFLICT (id) DO NOTHING`,
      [input.reservationId, input.tenantId, input.teamId ?? null, input.keyId, unitsToUsd(amount), input.expiresAt, now],
    );
    if (inserted.rowCount === 0) return replayReservation(client, input.reservationId);

    // A rotated key charges its lineage's key-level budgets (api_keys.budget_key_id), so the
    // old and the new key of a rotation spend from the same rows.
    const { rows: budgets } = await client.query<ApplicableBudget>(
      `SELECT id, scope, period, limit_usd FROM budgets
       WHERE (scope = 'key' AND scope_id = (SELECT COALESCE(budget_key_id, id) FROM api_keys WHERE id = $1)) OR (scope = 'team' AND scope_id = $2) OR (scope = 'tenant' AND scope_id = $3)
       ORDER BY id`,
      [input.keyId, input.teamId ?? null, input.tenantId],
    );
    const windows = budgets.map((b) => periodWindow(b.period, now));
    const ids = budgets.map((b) => b.id);
    const starts = windows.map((w) => w.start);
    const reserved: ReservedBudget[] = budgets.map((b, i) => ({
      budgetId: b.id,
      level: b.scope,
      period: b.period,
      periodStart: windows[i]!.start.toISOString(),
      resetsAt: windows[i]!.end?.toISOString() ?? null,
    }));
    const accepted = {
      ok: true as const,
      reservationId: input.reservationId,
      amountUsd: unitsToUsd(amount),
      expiresAt: input.expiresAt.toISOString(),
      budgets: reserved,
      replayed: false,
    };
    if (budgets.length === 0) return accepted;

    // A new window's row starts at zero. Inserted in id order, like every other lock here.
    await client.query(
      `INSERT INTO budget_periods (budget_id, period_start)
       SELECT * FROM unnest($1::text[], $2::timestamptz[]) ORDER BY 1 ON CONFLICT DO NOTHING`,
      [ids, starts],
    );
    // FOR UPDATE returns the latest committed counters, after waiting for concurrent holders.
    const { rows: locked } = await client.query<LockedPeriod>(
      `SELECT budget_id, reserved, spent FROM budget_periods
       WHERE (budget_id, period_start) IN (SELECT * FROM unnest($1::text[], $2::timestamptz[]))
       ORDER BY budget_id FOR UPDATE`,
      [ids, starts],
    );
    const counters = new Map(locked.map((r) => [r.budget_id, r]));
    const refusal = findRefusal(budgets, counters, amount, reserved);
    if (refusal) {
      if (input.uncommittedWhileHeld && fitsWithoutHolds(budgets, counters, amount)) throw new HeldRoomRefusal(refusal);
      // Committed, not rolled back: a retried reserve must get the same answer.
      await client.query(`UPDATE reservations SET state = 'refused', refusal = $2 WHERE id = $1`, [input.reservationId, JSON.stringify(refusal)]);
      return { ok: false, reservationId: input.reservationId, refusal, replayed: false, waitable: false };
    }
    await client.query(
      `UPDATE budget_periods bp SET reserved = bp.reserved + $3::numeric
       FROM unnest($1::text[], $2::timestamptz[]) AS t(budget_id, period_start)
       WHERE bp.budget_id = t.budget_id AND bp.period_start = t.period_start`,
      [ids, starts, unitsToUsd(amount)],
    );
    await client.query(
      `INSERT INTO reservation_items (reservation_id, budget_id, period_start, amount_usd)
       SELECT $1::text, t.*, $4::numeric FROM unnest($2::text[], $3::timestamptz[]) AS t`,
      [input.reservationId, ids, starts, unitsToUsd(amount)],
    );
    return accepted;
  });
}

function findRefusal(
  budgets: readonly ApplicableBudget[],
  counters: ReadonlyMap<string, LockedPeriod>,
  amount: bigint,
  reserved: readonly ReservedBudget[],
): BudgetRefusal | null {
  const byLevel = budgets.map((b, i) => ({ b, window: reserved[i]! })).sort((x, y) => LEVEL_ORDER[x.b.scope] - LEVEL_ORDER[y.b.scope]);
  for (const { b, window } of byLevel) {
    const row = counters.get(b.id);
    // The row vanishes only if the budget was deleted meanwhile: nothing left to enforce.
    if (!row) continue;
    const limit = usdToUnits(b.limit_usd);
    if (usdToUnits(row.reserved) + usdToUnits(row.spent) + amount > limit) {
      return {
        level: b.scope,
        budgetId: b.id,
        period: b.period,
        limitUsd: unitsToUsd(limit),
        spentUsd: unitsToUsd(usdToUnits(row.spent)),
        reservedUsd: unitsToUsd(usdToUnits(row.reserved)),
        requestedUsd: unitsToUsd(amount),
        resetsAt: window.resetsAt,
      };
    }
  }
  return null;
}

/** True when every level has room for `amount` once nothing is held: spent + amount <= limit. */
function fitsWithoutHolds(budgets: readonly ApplicableBudget[], counters: ReadonlyMap<string, LockedPeriod>, amount: bigint): boolean {
  return budgets.every((b) => {
    const row = counters.get(b.id);
    return !row || usdToUnits(row.spent) + amount <= usdToUnits(b.limit_usd);
  });
}

interface StoredReservation {
  state: ReservationState;
  amount_usd: string;
  expires_at: Date;
  refusal: BudgetRefusal | null;
}

/** The outcome an earlier reserve with this id committed. */
async function replayReservation(client: PoolClient, reservationId: string): Promise<ReserveResult> {
  const { rows } = await client.query<StoredReservation>('SELECT state, amount_usd, expires_at, refusal FROM reservations WHERE id = $1', [reservationId]);
  const r = rows[0]!;
  if (r.state === ReservationState.Refused && r.refusal) {
    return { ok: false, reservationId, refusal: r.refusal, replayed: true, waitable: false };
  }
  const { rows: items } = await client.query<{ budget_id: string; scope: BudgetScope; period: BudgetPeriod; period_start: Date }>(
    `SELECT ri.budget_id, b.scope, b.period, ri.period_start FROM reservation_items ri
     JOIN budgets b ON b.id = ri.budget_id WHERE ri.reservation_id = $1 ORDER BY ri.budget_id`,
    [reservationId],
  );
  return {
    ok: true,
    reservationId,
    amountUsd: unitsToUsd(usdToUnits(r.amount_usd)),
    expiresAt: r.expires_at.toISOString(),
    budgets: items.map((i) => ({
      budgetId: i.budget_id,
      level: i.scope,
      period: i.period,
      periodStart: i.period_start.toISOString(),
      resetsAt: periodWindow(i.period, i.period_start).end?.toISOString() ?? null,
    })),
    replayed: true,
  };
}
