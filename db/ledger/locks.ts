import type { PoolClient } from 'pg';
import { LedgerError, LedgerErrorCode } from './errors';
import type { ReservationState } from './types';

/*
 * Lock order, the same in every ledger transaction: the reservation row first, then the
 * budget period rows in budget-id order. reserve takes them in that order too (it inserts the
 * reservation row first), so two transactions never wait on each other in a cycle.
 */

export interface ReservationRow {
  state: ReservationState;
  tenant_id: string;
  team_id: string | null;
  key_id: string;
  release_reason: string | null;
}

/**
 * Locks the reservation row: settle, release and the sweeper all take this lock first, then
 * the period rows in budget-id order, the order reserve uses too.
 */
export async function lockReservation(client: PoolClient, reservationId: string): Promise<ReservationRow> {
  const { rows } = await client.query<ReservationRow>('SELECT state, tenant_id, team_id, key_id, release_reason FROM reservations WHERE id = $1 FOR UPDATE', [
    reservationId,
  ]);
  if (!rows[0]) throw new LedgerError(LedgerErrorCode.ReservationNotFound, `no reservation ${reservationId}`);
  return rows[0];
}

/** Locks the period rows a reservation counted against, in budget-id order. */
export async function lockItemPeriods(client: PoolClient, reservationId: string): Promise<void> {
  await client.query(
    `SELECT 1 FROM budget_periods bp JOIN reservation_items ri
       ON bp.budget_id = ri.budget_id AND bp.period_start = ri.period_start
     WHERE ri.reservation_id = $1 ORDER BY bp.budget_id FOR UPDATE OF bp`,
    [reservationId],
  );
}
