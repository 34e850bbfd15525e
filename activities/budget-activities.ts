import { ApplicationFailure } from '@temporalio/activity';
import { reserveCall, releaseCall, settleCall, type BudgetHold, type ChargeDeps, type PricedCall } from '../budget/charge';
import type { RouteAttempt } from '../config/route-plan';
import { releaseExpired } from '../db/ledger';
import { FailureType } from '../errors/failure-types';
import type { TokenUsage } from '../prices/price';
import type { Caller } from '../workflows/types';

export type { BudgetHold } from '../budget/charge';

/** Input of `reserveBudget`. */
export interface ReserveBudgetInput {
  /** The workflow id: the idempotency key of reserve, settle and release. */
  readonly reservationId: string;
  readonly caller: Caller;
  readonly plan: readonly RouteAttempt[];
  readonly call: PricedCall;
  /** The workflow's own timeout, ms: past it the sweeper hands the hold back. */
  readonly ttlMs: number;
}

/** Input of `settleBudget`. */
export interface SettleBudgetInput {
  readonly reservationId: string;
  readonly requestId: string;
  readonly call: PricedCall;
  readonly served: RouteAttempt;
  readonly usage: TokenUsage | undefined;
  readonly latencyMs: number;
  readonly caller: Caller;
  /** `BudgetHold.held` of this request's reservation. */
  readonly held: boolean;
}

export type BudgetActivities = ReturnType<typeof createBudgetActivities>;

/**
 * The money path's activities. Each is one short, idempotent Postgres transaction keyed by the
 * workflow id, which is why the request workflows run them as LOCAL activities: a re-run after
 * a worker crash repeats a transaction that detects it already happened, and skipping the
 * server round trips of a regular activity keeps the durable path's latency down.
 *
 * `releaseExpiredReservations` is the sweeper's step and runs as a regular activity.
 */
export function createBudgetActivities(deps: ChargeDeps) {
  return {
    /**
     * Holds the request's largest estimate against every budget of the caller.
     * @throws ApplicationFailure (non-retryable) `BudgetExceeded` with the refusal as details,
     *   or `PriceUnknown` with `{ models }`.
     */
    async reserveBudget(input: ReserveBudgetInput): Promise<BudgetHold> {
      const outcome = await reserveCall(deps, input);
      if (outcome.ok) return outcome.hold;
      if (outcome.reason === 'BudgetExceeded') {
        const r = outcome.refusal;
        throw ApplicationFailure.create({
          type: FailureType.BudgetExceeded,
          message: `${r.level} budget ${r.budgetId} (${r.period}, limit ${r.limitUsd} USD) has no room for ${r.requestedUsd} USD`,
          details: [r],
          nonRetryable: true,
        });
      }
      throw ApplicationFailure.create({
        type: FailureType.PriceUnknown,
        message: `no price for ${outcome.models.join(', ')} and a budget applies`,
        details: [{ models: outcome.models }],
        nonRetryable: true,
      });
    },

    /** Charges the actual cost and writes the usage record. Returns the cost (decimal USD). */
    async settleBudget(input: SettleBudgetInput): Promise<{ costUsd: string }> {
      const settled = await settleCall(deps, { ...input, status: 'ok' });
      return { costUsd: settled.costUsd };
    },

    /** Compensation of `reserveBudget`: hands the hold back. No-op when nothing is held. */
    async releaseBudget(input: { readonly reservationId: string }): Promise<void> {
      await releaseCall(deps, input.reservationId);
    },

    /** Releases every hold past its expiry (left by a crashed process). Returns how many. */
    async releaseExpiredReservations(): Promise<number> {
      return releaseExpired(deps.pool);
    },
  };
}
