import type { Pool, PoolClient } from 'pg';
import { recordCrossedThresholds } from '../db/budget-alerts';
import type { RouteAttempt } from '../config/route-plan';
import type { BudgetAlertNotifier } from './alert-types';
import { hasApplicableBudget, release, reserve, settle, type BudgetRefusal } from '../db/ledger';
import type { PriceCache } from '../prices/price-cache';
import { usageCostUsd, type Price, type TokenUsage } from '../prices/price';
import { unitsToUsd, usdToUnits } from '../prices/usd';
import type { ChatRequest, EmbeddingRequest } from '../providers/types';
import { countTextTokens } from '../tokens/count-text';
import { countEmbeddingInputTokens, countPromptTokens, estimateChatCost, estimateEmbeddingCost } from '../tokens/estimate';
import { tokenizerFamily } from '../tokens/tokenizer-family';
import type { Caller } from '../workflows/types';

/**
 * The money path of one request, shared by the durable path (budget activities) and the
 * streaming fast path (api/stream-budget.ts): the same estimate, the same pricing, the same
 * ledger calls, so both paths charge a request identically.
 */

/** What charging needs; built once per process. */
export interface ChargeDeps {
  readonly pool: Pool;
  readonly prices: PriceCache;
  /**
   * The output cap a provider's adapter sends when the request names none (Anthropic requires
   * one); `undefined` = the price row's `max_output_tokens`, else the estimator's fallback.
   */
  readonly defaultOutputCap?: (provider: string) => number | undefined;
  /**
   * Starts delivery of the budget alerts a settlement fires (80 % / 100 %). Without one, alerts
   * are still recorded and the alert sweeper Schedule delivers them a minute or two later.
   */
  readonly alerts?: BudgetAlertNotifier;
}

/** The request being charged for. */
export type PricedCall = { readonly kind: 'chat'; readonly request: ChatRequest } | { readonly kind: 'embeddings'; readonly request: EmbeddingRequest };

export interface ReserveCallInput {
  /** Idempotency key of the whole money path: the workflow id (or `stream-<request id>`). */
  readonly reservationId: string;
  readonly caller: Caller;
  readonly plan: readonly RouteAttempt[];
  readonly call: PricedCall;
  /** How long the hold lasts before the sweeper hands it back, in ms. */
  readonly ttlMs: number;
  /**
   * Whether a budget applies to the caller, when the caller already knows (the API's key cache,
   * at most its TTL old); absent: the ledger is asked.
   */
  readonly budgeted?: boolean;
  /** Batch items: a refusal caused only by holds in flight is not recorded (`waitable`), see `reserve`. */
  readonly waitForHeldRoom?: boolean;
  readonly now?: Date;
}

/** An accepted reservation. */
export interface BudgetHold {
  readonly reservationId: string;
  /** The amount held: the largest estimate over the plan's priced deployments. */
  readonly amountUsd: string;
  /** Upstream models of the plan without a price, held at zero (only when no budget applies). */
  readonly unpriced: readonly string[];
  /**
   * False when no budget applied to the caller: nothing was written, and settlement writes the
   * reservation row together with the usage record (one transaction per request, not two).
   */
  readonly held: boolean;
}

export type ReserveCallOutcome =
  | { readonly ok: true; readonly hold: BudgetHold }
  | { readonly ok: false; readonly reason: 'BudgetExceeded'; readonly refusal: BudgetRefusal; readonly waitable: boolean }
  | { readonly ok: false; readonly reason: 'PriceUnknown'; readonly models: readonly string[] };

/**
 * Estimates the call on every deployment of its plan and reserves the LARGEST estimate (the
 * plan may fall back to a dearer model, and settling must never find less held than spent by
 * more than one request's estimate).
 *
 * Unknown prices: when a budget applies to the caller the request is refused (`PriceUnknown`)
 * before anything is written, because charging zero would let the budget be overrun; without
 * a budget the deployment counts as zero and the request proceeds (settlement records the
 * usage with no price). Idempotent by `reservationId` (the ledger replays the first outcome).
 *
 * @throws the pool's errors (the caller retries; the ledger write is idempotent).
 */
export async function reserveCall(deps: ChargeDeps, input: ReserveCallInput): Promise<ReserveCallOutcome> {
  const now = input.now ?? new Date();
  // Most callers have no budget: at most one indexed read (none when the API's key cache knows),
  // no estimate (tokenizing costs CPU), no write and no commit on the way to the upstream. A
  // budget created after this answer does not cover this request (it covers requests that start
  // after it exists, and is seen within the key cache's TTL).
  if (!(input.budgeted ?? (await hasApplicableBudget(deps.pool, input.caller)))) {
    return { ok: true, hold: { reservationId: input.reservationId, amountUsd: '0', unpriced: [], held: false } };
  }
  let amount = 0n;
  const unpriced: string[] = [];
  const seen = new Set<string>();
  for (const attempt of input.plan) {
    const id = `${attempt.provider}\n${attempt.upstreamModel}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const price = await deps.prices.get(attempt.upstreamModel);
    if (!price) {
      if (!unpriced.includes(attempt.upstreamModel)) unpriced.push(attempt.upstreamModel);
      continue;
    }
    const estimate = usdToUnits(estimateCost(deps, input.call, attempt, price));
    if (estimate > amount) amount = estimate;
  }
  // A budget applies (checked above): charging an unpriced model zero would let it be overrun.
  if (unpriced.length > 0) return { ok: false, reason: 'PriceUnknown', models: unpriced };
  const result = await reserve(deps.pool, {
    reservationId: input.reservationId,
    tenantId: input.caller.tenantId,
    teamId: input.caller.teamId,
    keyId: input.caller.keyId,
    amountUsd: unitsToUsd(amount),
    expiresAt: new Date(now.getTime() + input.ttlMs),
    now,
    uncommittedWhileHeld: input.waitForHeldRoom ?? false,
  });
  if (!result.ok) return { ok: false, reason: 'BudgetExceeded', refusal: result.refusal, waitable: result.waitable };
  return { ok: true, hold: { reservationId: input.reservationId, amountUsd: result.amountUsd, unpriced, held: true } };
}

function estimateCost(deps: ChargeDeps, call: PricedCall, attempt: RouteAttempt, price: Price): string {
  if (call.kind === 'embeddings') return estimateEmbeddingCost(call.request, attempt.upstreamModel, price).costUsd;
  const cap = deps.defaultOutputCap?.(attempt.provider);
  return estimateChatCost(call.request, attempt.upstreamModel, price, cap === undefined ? {} : { defaultMaxOutputTokens: cap }).costUsd;
}

export interface SettleCallInput {
  readonly reservationId: string;
  /** Who called, and whether `reserveCall` held anything for them (`BudgetHold.held`). */
  readonly caller: Caller;
  readonly held: boolean;
  readonly requestId: string;
  readonly call: PricedCall;
  /** The deployment that answered. */
  readonly served: RouteAttempt;
  /** What the upstream reported; `undefined` = count it here (prompt estimate + `streamedText`). */
  readonly usage: TokenUsage | undefined;
  /** The text streamed to the client, counted as output when the upstream reported no usage. */
  readonly streamedText?: string;
  readonly latencyMs?: number;
  /** `ok`, `error`, `client_disconnected`, …; stored on the usage record. */
  readonly status: string;
  readonly now?: Date;
  /** A write committed with the settlement (a batch item's result line); see the ledger's `settle`. */
  readonly alsoInTransaction?: (client: PoolClient) => Promise<void>;
}

export interface SettledCall {
  /** The cost charged, exact decimal USD (`"0"` for an unpriced model). */
  readonly costUsd: string;
  readonly usageRecordId: string;
}

/**
 * Charges the served deployment's current price for the tokens used and writes the usage
 * record, in one ledger transaction. Idempotent: a retry returns the first settlement's cost.
 *
 * @throws LedgerError `reservation_not_found` / `reservation_refused`; the pool's errors.
 */
export async function settleCall(deps: ChargeDeps, input: SettleCallInput): Promise<SettledCall> {
  const price = await deps.prices.get(input.served.upstreamModel);
  const usage = input.usage ?? countUsage(input.call, input.served.upstreamModel, input.streamedText);
  const result = await settle(deps.pool, {
    reservationId: input.reservationId,
    actualCostUsd: price ? usageCostUsd(price, usage) : '0',
    usage: {
      requestId: input.requestId,
      model: input.call.request.model,
      provider: input.served.provider,
      deployment: input.served.upstreamModel,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens ?? 0,
      latencyMs: input.latencyMs === undefined ? null : Math.round(input.latencyMs),
      status: input.status,
      tags: input.caller.tags,
      priceId: price?.id ?? null,
    },
    unheldCaller: input.held ? undefined : input.caller,
    now: input.now,
    alsoInTransaction: input.alsoInTransaction,
  });
  if (input.held) await raiseBudgetAlerts(deps, input.reservationId);
  return { costUsd: result.costUsd, usageRecordId: result.usageRecordId };
}

/**
 * Records the alert thresholds this settlement's budget windows reached and hands the new ones
 * to the notifier. Never throws: the settlement is already committed, and an alert lost here is
 * caught up by the next settlement in the same window (see `recordCrossedThresholds`).
 */
async function raiseBudgetAlerts(deps: ChargeDeps, reservationId: string): Promise<void> {
  try {
    const fired = await recordCrossedThresholds(deps.pool, reservationId);
    if (fired.length > 0) deps.alerts?.notify(fired);
  } catch (err) {
    deps.alerts?.recordFailed(reservationId, err);
  }
}

/** Tokens counted by the gateway when the upstream reported none (a stream cut short, say). */
function countUsage(call: PricedCall, upstreamModel: string, streamedText: string | undefined): TokenUsage {
  if (call.kind === 'embeddings') return { inputTokens: countEmbeddingInputTokens(call.request, upstreamModel), outputTokens: 0 };
  const outputTokens = streamedText ? countTextTokens(tokenizerFamily(upstreamModel).encoding, streamedText) : 0;
  return { inputTokens: countPromptTokens(call.request, upstreamModel), outputTokens };
}

/**
 * Hands a hold back (the request failed; nothing was spent). Idempotent, and a no-op for an
 * id that was never reserved, refused, settled or already released.
 */
export async function releaseCall(deps: ChargeDeps, reservationId: string): Promise<boolean> {
  return (await release(deps.pool, reservationId)).released;
}
