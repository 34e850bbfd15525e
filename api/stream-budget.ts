import { releaseCall, settleCall } from '../budget/charge';
import { tokenUsageOf, type OpenAIUsageLike } from '../budget/usage-tokens';
import type { RouteAttempt } from '../config/route-plan';
import type { ChatRequest } from '../providers/types';
import type { Caller } from '../workflows/types';
import { chargeDeps, holdBudget, type ApiChargeDeps } from './budget-hold';

/**
 * The streaming fast path's money path: the same estimate, pricing and ledger calls as the
 * durable path's budget activities (budget/charge.ts), without Temporal. The fast path calls
 * `reserveForStream` before the first upstream call, then exactly one of `settleStream` (a
 * deployment answered, even partly) or `releaseStream` (none did). A process that dies in
 * between leaves the hold to the sweeper Schedule, which releases it after `ttlMs`.
 */

/** What the fast path's money path needs; `ApiDeps` satisfies it. */
export type StreamBudgetDeps = ApiChargeDeps;

/**
 * How long a stream's hold lasts before the sweeper may release it (10 min): longer than any
 * stream the provider timeouts allow to start, short enough that a crashed process's holds
 * come back the same hour. A stream settled after its hold expired is still charged in full.
 */
export const STREAM_RESERVATION_TTL_MS = 10 * 60_000;

/** An accepted hold for one streamed request. */
export interface StreamReservation {
  /** `stream-<request id>`: the ledger's idempotency key for this request. */
  readonly reservationId: string;
  readonly requestId: string;
  readonly amountUsd: string;
  readonly request: ChatRequest;
  readonly caller: Caller;
  /** `BudgetHold.held`: false when no budget applied and nothing was written yet. */
  readonly held: boolean;
  /** `performance.now()` at reservation, for the usage record's latency. */
  readonly startedAt: number;
}

/**
 * Holds the stream's largest estimate over `plan` against every budget of the caller.
 *
 * @throws HttpError 429 `budget_exceeded` (with Retry-After until the reset), 400
 *   `model_price_unknown`, or 503 `ledger_unavailable` (see `holdBudget`).
 */
export async function reserveForStream(
  deps: StreamBudgetDeps,
  opts: { requestId: string; caller: Caller; plan: readonly RouteAttempt[]; request: ChatRequest; ttlMs?: number; budgeted?: boolean },
): Promise<StreamReservation> {
  const reservationId = `stream-${opts.requestId}`;
  const hold = await holdBudget(chargeDeps(deps), {
    reservationId,
    caller: opts.caller,
    plan: opts.plan,
    call: { kind: 'chat', request: opts.request },
    ttlMs: opts.ttlMs ?? STREAM_RESERVATION_TTL_MS,
    budgeted: opts.budgeted,
  });
  return {
    reservationId,
    requestId: opts.requestId,
    amountUsd: hold.amountUsd,
    request: opts.request,
    caller: opts.caller,
    held: hold.held,
    startedAt: performance.now(),
  };
}

/**
 * Charges the served deployment for what the stream used and writes the usage record.
 * `usage` is the upstream's final usage chunk; without one (a stream cut short) the prompt is
 * estimated and `streamedText` counted as output. Idempotent per reservation.
 *
 * @param status stored on the usage record: `ok`, `client_disconnected`, `error`, …
 * @returns the cost charged, exact decimal USD.
 */
export async function settleStream(
  deps: StreamBudgetDeps,
  reservation: StreamReservation,
  opts: { served: RouteAttempt; usage: OpenAIUsageLike | undefined; streamedText?: string; status: string },
): Promise<{ costUsd: string }> {
  const settled = await settleCall(chargeDeps(deps), {
    reservationId: reservation.reservationId,
    caller: reservation.caller,
    held: reservation.held,
    requestId: reservation.requestId,
    call: { kind: 'chat', request: reservation.request },
    served: opts.served,
    usage: tokenUsageOf(opts.usage),
    streamedText: opts.streamedText,
    latencyMs: performance.now() - reservation.startedAt,
    status: opts.status,
  });
  return { costUsd: settled.costUsd };
}

/** Hands the hold back when no deployment answered. Idempotent; false when nothing was held. */
export async function releaseStream(deps: StreamBudgetDeps, reservation: Pick<StreamReservation, 'reservationId'>): Promise<boolean> {
  return releaseCall(chargeDeps(deps), reservation.reservationId);
}
