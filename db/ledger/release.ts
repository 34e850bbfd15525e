import type { Pool } from 'pg';
import { LedgerError, LedgerErrorCode } from './errors';
import { lockItemPeriods, lockReservation } from './locks';
import { inTransaction } from './transaction';
import { ReservationState } from './types';

export interface ReleaseResult {
  readonly reservationId: string;
  /** True only for the call that actually handed the amount back. */
  readonly released: boolean;
  /** The reservation's state after the call; `null` when no reservation has this id. */
  readonly state: ReservationState | null;
}

/**
 * Hands a reservation's amount back to every budget it counted against (the request failed
 * and nothing was spent). Idempotent: releasing a released, settled or refused reservation,
 * or an unknown id, changes nothing and says so.
 */
export async function release(
  pool: Pool,
  reservationId: string,
  opts: { readonly now?: Date; readonly reason?: 'released' | 'expired' } = {},
): Promise<ReleaseResult> {
  const now = opts.now ?? new Date();
  try {
    return await inTransaction(pool, async (client) => {
      const r = await lockReservation(client, reservationId);
      if (r.state !== ReservationState.Reserved) return { reservationId, released: false, state: r.state };
      await lockItemPeriods(client, reservationId);
      await client.query(
        `UPDATE budget_periods bp SET reserved = bp.reserved - ri.amount_usd
         FROM reservation_items ri
         WHERE ri.reservation_id = $1 AND bp.budget_id = ri.budget_id AND bp.period_start = ri.period_start`,
        [reservationId],
      );
      await client.query(`UPDATE reservations SET state = 'released', release_reason = $2, released_at = $3 WHERE id = $1`, [
        reservationId,
        opts.reason ?? 'released',
        now,
      ]);
      return { reservationId, released: true, state: ReservationState.Released };
    });
  } catch (err) {
    // A compensation may run for a reserve that never committed: nothing to hand back.
    if (err instanceof LedgerError && err.code === LedgerErrorCode.ReservationNotFound) {
      return { reservationId, released: false, state: null };
    }
    throw err;
  }
}

/**
 * Releases every reservation still open at `now` past its expiry (left behind by a process
 * that died mid-request), for the reconciliation Schedule. Each one is released in its own
 * short transaction under the same locks as settle, so a settlement racing the sweeper wins
 * or loses cleanly: a late settle still records the spend.
 *
 * @returns how many reservations this call released.
 */
export async function releaseExpired(pool: Pool, now: Date = new Date(), opts: { readonly batchSize?: number } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 100;
  let count = 0;
  for (;;) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM reservations WHERE state = 'reserved' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, batchSize],
    );
    let releasedInBatch = 0;
    for (const { id } of rows) {
      if ((await release(pool, id, { now, reason: 'expired' })).released) releasedInBatch++;
    }
    count += releasedInBatch;
    // A short batch means nothing older is left; a batch released entirely by someone else
    // (another sweeper) also ends the loop instead of spinning.
    if (rows.length < batchSize || releasedInBatch === 0) return count;
  }
}
