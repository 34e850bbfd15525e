import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';
import { budgetExceededToHttp, priceUnknownToHttp, upstreamErrorToHttp } from '../api/failure-to-http';
import { HttpError } from '../api/http-error';
import { allowedPlan, applyChatPolicy, assertModelAllowed, type Policy } from '../api/policies';
import { planAttemptTimeoutMs, resolveModel } from '../api/resolve-model';
import { releaseCall, reserveCall, settleCall, type ChargeDeps, type PricedCall, type ReserveCallInput, type ReserveCallOutcome } from '../budget/charge';
import { tokenUsageOf, type OpenAIUsageLike } from '../budget/usage-tokens';
import type { GatewayConfig } from '../config/gateway-config';
import { planRoute } from '../config/route-plan';
import { insertResult, type PageLine } from '../db/batches';
import type { ProviderRegistry } from '../providers/registry';
import type { ChatRequest } from '../providers/types';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { estimateRequestTokens } from '../ratelimit/request-tokens';
import { workflowTimeoutMs } from '../workflows/deadlines';
import type { Caller } from '../workflows/types';
import { executePlan } from './execute-plan';
import { BatchEndpoint, InputLineError, parseInputLine } from './input-line';
import { errorResponseLine, successLine } from './output-line';

/** What items are processed with; built once per worker. */
export interface ItemDeps {
  readonly pool: Pool;
  readonly config: GatewayConfig;
  readonly providers: ProviderRegistry;
  readonly charge: ChargeDeps;
  /** The key's and tenant's rpm/tpm limits; unset = no limits apply to batches. */
  readonly rateLimiter?: RateLimiter;
}

/** The batch an item belongs to, and the caller's rules as of this page. */
export interface ItemContext {
  readonly batchId: string;
  readonly caller: Caller;
  readonly policy: Policy;
  /** True once no new upstream call may start (cancel or expiry). */
  readonly stopping: () => boolean;
}

/** `answered`: a result line is stored; `skipped`: stopped before calling upstream, no line. */
export type ItemOutcome = 'answered' | 'skipped';

/** Longest single wait for a rate limit before the stop flag is looked at again, ms. */
const MAX_RATE_WAIT_MS = 1_000;
/** First and longest wait for budget room that holds in flight take up, ms. */
const FIRST_HOLD_WAIT_MS = 50;
const MAX_HOLD_WAIT_MS = 1_000;

/**
 * One batch item, exactly as the synchronous endpoint would serve it: the key's policy, the
 * route plan with fallbacks, rpm/tpm limits (waiting for room rather than failing), a budget
 * hold keyed `batch-<batch id>-<line>` (waiting while only other holds leave no room, since the
 * batch's own items in flight hold most of it; refused when spending has used it up), the plan
 * with retries (`executePlan`), then settlement
 * and the result line in ONE transaction, or release and an error line.
 *
 * Idempotent per (batch, line): the hold and the settlement are keyed by the reservation id, and
 * the result row is unique per line, so an item re-run after a crash is charged once and answered
 * once (its upstream call may repeat if the crash came between the call and the commit).
 */
export async function processItem(deps: ItemDeps, ctx: ItemContext, line: PageLine): Promise<ItemOutcome> {
  const reservationId = `batch-${ctx.batchId}-${line.lineNo}`;
  const requestId = reservationId;
  const answerError = async (error: HttpError): Promise<ItemOutcome> => {
    await insertResult(deps.pool, {
      batchId: ctx.batchId,
      lineNo: line.lineNo,
      ok: false,
      line: errorResponseLine({ batchId: ctx.batchId, lineNo: line.lineNo, customId: line.customId, requestId, error }),
    });
    return 'answered';
  };

  let call: PricedCall;
  let plan;
  try {
    const parsed = parseInputLine(line.line, deps.config);
    const route = resolveModel(deps.config, parsed.body.model, parsed.url === BatchEndpoint.Chat ? 'chat' : 'embedding');
    assertModelAllowed(ctx.policy, route.name);
    plan = allowedPlan(ctx.policy, planRoute(deps.config, route));
    call =
      parsed.url === BatchEndpoint.Chat
        ? { kind: 'chat', request: applyChatPolicy(ctx.policy, withoutStream(parsed.body)) }
        : { kind: 'embeddings', request: parsed.body };
  } catch (err) {
    if (err instanceof HttpError) return answerError(err);
    // The line passed validation at upload; only a config change since can fail it here.
    if (err instanceof InputLineError) return answerError(new HttpError(400, err.reason, { code: 'invalid_request' }));
    throw err;
  }

  const admitted = await waitForRateLimit(deps, ctx, call.request);
  if (admitted === 'stopped') return 'skipped';
  if (admitted instanceof HttpError) return answerError(admitted);

  const retry = deps.config.retry;
  const timeout = planAttemptTimeoutMs(deps.config, plan);
  const reserved = await reserveWaitingForHeldRoom(deps, ctx, {
    reservationId,
    caller: ctx.caller,
    plan,
    call,
    ttlMs: workflowTimeoutMs({ plan, retry, attemptTimeoutMs: timeout }),
    waitForHeldRoom: true,
  });
  if (reserved === 'stopped') return 'skipped';
  if (!reserved.ok) {
    return answerError(reserved.reason === 'BudgetExceeded' ? budgetExceededToHttp(reserved.refusal) : priceUnknownToHttp({ models: reserved.models }));
  }

  const started = performance.now();
  const outcome = await executePlan<{ readonly usage?: OpenAIUsageLike | null }>({
    plan,
    retry,
    call: (attempt) => {
      const adapter = deps.providers.get(attempt.provider);
      const context = { upstreamModel: attempt.upstreamModel, requestId };
      return call.kind === 'chat' ? adapter.chat(call.request, context) : adapter.embed(call.request, context);
    },
  });
  if (!outcome.ok) {
    // Compensation of the hold: nothing was spent. A crash before the error line is written
    // re-runs the item; its reserve then replays this released hold.
    if (reserved.hold.held) await releaseCall(deps.charge, reservationId);
    return answerError(upstreamErrorToHttp(outcome.error));
  }
  const { result } = outcome;
  await settleCall(deps.charge, {
    reservationId,
    caller: ctx.caller,
    held: reserved.hold.held,
    requestId,
    call,
    served: result.served,
    usage: tokenUsageOf(result.response.usage),
    latencyMs: performance.now() - started,
    status: 'ok',
    alsoInTransaction: (client) =>
      insertResult(client, {
        batchId: ctx.batchId,
        lineNo: line.lineNo,
        ok: true,
        line: successLine({ batchId: ctx.batchId, lineNo: line.lineNo, customId: line.customId, requestId, body: result.response }),
      }),
  });
  return 'answered';
}

/**
 * Reserves, and while the ledger says only holds in flight stand in the way (`waitable`: nothing
 * was recorded), waits with backoff and asks again under the same id, until the hold is
 * granted, the refusal is final (spent + estimate over a limit), or the batch stops. Holds end
 * when their requests settle or release, or at the latest when the sweeper expires them.
 */
async function reserveWaitingForHeldRoom(deps: ItemDeps, ctx: ItemContext, input: ReserveCallInput): Promise<ReserveCallOutcome | 'stopped'> {
  for (let wait = FIRST_HOLD_WAIT_MS; ; wait = Math.min(wait * 2, MAX_HOLD_WAIT_MS)) {
    const outcome = await reserveCall(deps.charge, input);
    if (outcome.ok || outcome.reason !== 'BudgetExceeded' || !outcome.waitable) return outcome;
    if (ctx.stopping()) return 'stopped';
    await sleep(wait);
    if (ctx.stopping()) return 'stopped';
  }
}

function withoutStream(body: ChatRequest): ChatRequest {
  const { stream: _stream, stream_options: _options, ...rest } = body;
  return rest as ChatRequest;
}

/**
 * Waits until the key's and tenant's rpm/tpm limits admit the item (batches wait where a
 * synchronous request would get 429). A request larger than a whole tpm limit can never fit:
 * it gets the 429 the synchronous endpoint answers.
 */
async function waitForRateLimit(deps: ItemDeps, ctx: ItemContext, body: unknown): Promise<'admitted' | 'stopped' | HttpError> {
  const limiter = deps.rateLimiter;
  if (!limiter) return 'admitted';
  const key = { id: ctx.caller.keyId, tenantId: ctx.caller.tenantId };
  const limits = limiter.peekLimits(key) ?? (await limiter.loadLimits(key));
  if (limits.length === 0) return 'admitted';
  const tokens = limits.some((l) => l.tpm !== null) ? estimateRequestTokens(body) : 0;
  for (;;) {
    if (ctx.stopping()) return 'stopped';
    const admission = await limiter.admit(limits, tokens);
    if (admission.admitted) return 'admitted';
    const wait = admission.retryAfterMs ?? MAX_RATE_WAIT_MS;
    if (!Number.isFinite(wait)) {
      const by = admission.refusedBy!;
      return new HttpError(
        429,
        `Request too large for tokens per minute (tpm) on ${by.ref.scope} ${by.ref.scopeId}: limit ${by.limit}, requested ${by.requested}.`,
        {
          type: 'rate_limit_error',
          code: 'rate_limit_exceeded',
        },
      );
    }
    await sleep(Math.min(Math.max(wait, 10), MAX_RATE_WAIT_MS));
  }
}
