import type { Pool, PoolClient } from 'pg';
import { unitsToUsd, usdToUnits } from '../../prices/usd';
import { LedgerError, LedgerErrorCode } from './errors';
import { lockItemPeriods, lockReservation } from './locks';
import { inTransaction } from './transaction';
import { ReservationState } from './types';
import { settleUnheldGrouped, settleUnheldOne, usageModelAndTokens, type UnheldSettlement } from './unheld-settlements';

/** What the usage record says about the call, beyond who made it (taken from the reservation). */
export interface UsageFields {
  readonly requestId: string;
  /** The model name the client asked for (a route name in switchyard.yaml). */
  readonly model: string;
  /** Provider config id that answered, e.g. `openai`; `null` when none did. */
  readonly provider?: string | null;
  /** The upstream model id / deployment that answered. */
  readonly deployment?: string | null;
  /** All prompt tokens, including cached ones (OpenAI convention). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly latencyMs?: number | null;
  /** `ok`, `error`, `client_disconnected`, …: free text for reports. */
  readonly status: string;
  /** Cost-allocation tags (the key's metadata tags, request tags). */
  readonly tags?: Readonly<Record<string, string>>;
  /** The price version the cost was computed at; `null` when unpriced. */
  readonly priceId?: string | null;
}

export interface SettleInput {
  readonly reservationId: string;
  /** The actual cost from the provider's usage, USD (number or exact decimal string). */
  readonly actualCostUsd: number | string;
  readonly usage: UsageFields;
  /**
   * The caller of a request that was never reserved because no budget applied to it (see
   * `budget/charge.ts`): settle then writes its reservation row itself, in this transaction, so
   * the request costs one ledger statement instead of two transactions (written with group commit:
   * see `unheld-settlements.ts`). Without it an unknown id
   * is an error.
   */
  readonly unheldCaller?: { readonly tenantId: string; readonly teamId?: string | null; readonly keyId: string };
  /** The clock; stamps the usage record and the settlement. Default: now. */
  readonly now?: Date;
  /**
   * Another write that must commit with the settlement, or not at all (a batch item's result
   * line). Runs in the settlement's transaction, also when it replays an earlier settlement, so
   * it must be idempotent itself.
   */
  readonly alsoInTransaction?: (client: PoolClient) => Promise<void>;
}

export interface SettleResult {
  readonly reservationId: string;
  /** The cost recorded (the first settlement's, on a replay). */
  readonly costUsd: string;
  readonly usageRecordId: string;
  /** `released`: the reservation had expired or been released; the spend is recorded anyway. */
  readonly settledFrom: 'reserved' | 'released';
  /** True when an earlier settle with this id had already recorded the usage. */
  readonly replayed: boolean;
}

/**
 * Moves a reservation to spent at the actual cost and writes the usage record, in one
 * transaction: each budget the reservation counted against loses the reserved amount and
 * gains the actual cost, in the period window the reservation was made in.
 *
 * Idempotent: a retried settle finds the reservation settled and returns the first result
 * without charging again (its own cost and usage fields are ignored).
 *
 * A reservation already released (the request looked failed, or the sweeper expired it) is
 * still settled: the provider was paid, so the spend is recorded even if that pushes a budget
 * past its limit; only the reserved amount is not subtracted twice.
 *
 * @throws LedgerError `reservation_not_found` for an unknown id, `reservation_refused` for a
 *   refused one; RangeError for a negative or malformed cost.
 */
export async function settle(pool: Pool, input: SettleInput): Promise<SettleResult> {
  const cost = unitsToUsd(usdToUnits(input.actualCostUsd));
  const now = input.now ?? new Date();
  if (input.unheldCaller && !input.alsoInTransaction) {
    const first = await settleUnheldGrouped(pool, unheld(input, input.unheldCaller, cost, now));
    if (first) return first;
    // The id exists already: a retried settlement (replayed below) or a real reservation.
  }
  return inTransaction(pool, async (client) => {
    if (input.unheldCaller && input.alsoInTransaction) {
      const first = await settleUnheldOne(client, unheld(input, input.unheldCaller, cost, now));
      if (first) {
        await input.alsoInTransaction(client);
        return first;
      }
    }
    const settled = await settleReserved(client, input, cost, now);
    await input.alsoInTransaction?.(client);
    return settled;
  });
}

/** The locked path of `settle`: a reservation row exists (held, released or already settled). */
async function settleReserved(client: PoolClient, input: SettleInput, cost: string, now: Date): Promise<SettleResult> {
  const r = await lockReservation(client, input.reservationId);
  if (r.state === ReservationState.Settled) {
    const { rows } = await client.query<{ id: string; cost_usd: string }>('SELECT id, cost_usd FROM usage_records WHERE reservation_id = $1', [
      input.reservationId,
    ]);
    const usage = rows[0]!;
    return {
      reservationId: input.reservationId,
      costUsd: unitsToUsd(usdToUnits(usage.cost_usd)),
      usageRecordId: usage.id,
      settledFrom: r.release_reason === null ? 'reserved' : 'released',
      replayed: true,
    };
  }
  if (r.state === ReservationState.Refused) {
    throw new LedgerError(LedgerErrorCode.ReservationRefused, `reservation ${input.reservationId} was refused; nothing to settle`);
  }
  const wasReserved = r.state === ReservationState.Reserved;
  await lockItemPeriods(client, input.reservationId);
  await client.query(
    `UPDATE budget_periods bp
     SET reserved = bp.reserved - CASE WHEN $2 THEN ri.amount_usd ELSE 0 END, spent = bp.spent + $3::numeric
     FROM reservation_items ri
     WHERE ri.reservation_id = $1 AND bp.budget_id = ri.budget_id AND bp.period_start = ri.period_start`,
    [input.reservationId, wasReserved, cost],
  );
  const u = input.usage;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO usage_records (request_id, reservation_id, tenant_id, team_id, key_id, model, provider, deployment,
       input_tokens, output_tokens, cached_input_tokens, cost_usd, latency_ms, status, tags, price_id, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
    [
      u.requestId,
      input.reservationId,
      r.tenant_id,
      r.team_id,
      r.key_id,
      ...usageModelAndTokens(u),
      cost,
      u.latencyMs ?? null,
      u.status,
      JSON.stringify(u.tags ?? {}),
      u.priceId ?? null,
      now,
    ],
  );
  await client.query(`UPDATE reservations SET state = 'settled', actual_cost_usd = $2, settled_at = $3 WHERE id = $1`, [input.reservationId, cost, now]);
  return {
    reservationId: input.reservationId,
    costUsd: cost,
    usageRecordId: rows[0]!.id,
    settledFrom: wasReserved ? 'reserved' : 'released',
    replayed: false,
  };
}

function unheld(input: SettleInput, caller: NonNullable<SettleInput['unheldCaller']>, cost: string, now: Date): UnheldSettlement {
  return { reservationId: input.reservationId, caller, cost, now, usage: input.usage };
}
