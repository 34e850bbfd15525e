import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { ProviderRegistry } from '../providers/registry';
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse } from '../providers/types';
import type { ProviderCallInput, SettledAttempt, SettlingCallInput } from '../workflows/types';
import { settleCall, type ChargeDeps, type PricedCall } from '../budget/charge';
import { tokenUsageOf, type OpenAIUsageLike } from '../budget/usage-tokens';
import type { RetrySettings } from '../config/gateway-config';
import type { GatewayMetrics } from '../observability/metrics';
import type { CircuitBreakers } from '../circuit/circuit-breakers';
import { CallOutcome, outcomeOfFailureBefore } from '../circuit/outcome';
import { deploymentId } from '../config/route-plan';
import type { DeploymentStats } from '../routing/deployment-stats';
import type { CallContext } from '../providers/types';

export interface ProviderActivityDeps {
  readonly providers: ProviderRegistry;
  readonly metrics?: GatewayMetrics;
  /** Circuit breakers: an open deployment fails fast with `CircuitOpen`; outcomes are recorded. */
  readonly circuits?: CircuitBreakers;
  /** In-flight counts and latencies for the balancer (this process). */
  readonly stats?: DeploymentStats;
  /** The money path, for the attempts that settle their own cost (`callChatAndSettle`, …). */
  readonly charge?: ChargeDeps;
  /** Pauses between in-activity settlement tries, ms; default {@link SETTLE_PAUSES_MS}. */
  readonly settlePausesMs?: readonly number[];
}

/**
 * In-activity settlement tries: the first right away, then after these pauses. Short on purpose:
 * the upstream has answered and the client waits; past them the workflow settles in a local
 * activity with its own, longer retries (the ledger write is idempotent, so both may run).
 */
export const SETTLE_PAUSES_MS: readonly number[] = [25, 100];

/** Heartbeat interval of a waiting attempt: well inside `ATTEMPT_HEARTBEAT_TIMEOUT_MS` (10 s). */
export const ATTEMPT_HEARTBEAT_EVERY_MS = 3_000;

export type ProviderActivities = ReturnType<typeof createProviderActivities>;

/**
 * Provider calls. The same functions run as regular or as local activities (the workflow input
 * decides, `workflows/attempt-activities.ts`); either way a worker that dies mid-call has the
 * attempt run again elsewhere (after the heartbeat timeout, or the workflow task's timeout for a
 * local one), so the upstream may be called twice, and the settlement's idempotent ledger write
 * keeps the client's charge single.
 *
 * Each activity converts `UpstreamError` into an ApplicationFailure whose `type` drives the
 * retry policy and whose `nextRetryDelay` carries the upstream's Retry-After.
 */
export function createProviderActivities(deps: ProviderActivityDeps) {
  return {
    async callChat(input: ProviderCallInput<ChatRequest>): Promise<ChatCompletion> {
      return withProvider(deps, input, (adapter, ctx) => adapter.chat(input.request, ctx));
    },
    async callEmbeddings(input: ProviderCallInput<EmbeddingRequest>): Promise<EmbeddingResponse> {
      return withProvider(deps, input, (adapter, ctx) => adapter.embed(input.request, ctx));
    },
    /**
     * One attempt that, when the deployment answers, also settles the request's cost (the hold
     * the API took, keyed by the workflow id) before it completes. On the success path the
     * workflow then has a single activity and no budget step: the same shape, and nearly the
     * same latency, as a bare one-activity workflow.
     */
    async callChatAndSettle(input: SettlingCallInput<ChatRequest>): Promise<SettledAttempt<ChatCompletion>> {
      return withSettlement(deps, input, { kind: 'chat', request: input.request }, () =>
        withProvider(deps, input, (adapter, ctx) => adapter.chat(input.request, ctx)),
      );
    },
    async callEmbeddingsAndSettle(input: SettlingCallInput<EmbeddingRequest>): Promise<SettledAttempt<EmbeddingResponse>> {
      return withSettlement(deps, input, { kind: 'embeddings', request: input.request }, () =>
        withProvider(deps, input, (adapter, ctx) => adapter.embed(input.request, ctx)),
      );
    },
  };
}

/**
 * Runs the call, then settles its cost: charge the served deployment's price for the reported
 * usage and write the usage record, in one idempotent ledger transaction keyed by the
 * reservation. A settlement the ledger refuses or cannot take within the short in-activity tries
 * comes back as `costUsd: null`, and the workflow settles in a local activity instead: an
 * answered call is never retried because its bookkeeping failed (that would pay the upstream
 * twice).
 *
 * A crash after the upstream answered and before this activity completes retries the activity
 * (the upstream is called again); the retry's settlement finds the first one's, if it committed,
 * and charges nothing more. The client is charged once either way.
 */
async function withSettlement<T extends { readonly usage?: OpenAIUsageLike | null }>(
  deps: ProviderActivityDeps,
  input: SettlingCallInput<unknown>,
  call: PricedCall,
  run: () => Promise<T>,
): Promise<SettledAttempt<T>> {
  if (!deps.charge) throw new Error('callAndSettle activities need the money path (ProviderActivityDeps.charge)');
  const charge = deps.charge;
  const started = performance.now();
  const response = await run();
  const latencyMs = performance.now() - started;
  const pauses = deps.settlePausesMs ?? SETTLE_PAUSES_MS;
  for (let i = 0; ; i++) {
    try {
      const settled = await settleCall(charge, {
        reservationId: input.settlement.reservationId,
        caller: input.settlement.caller,
        held: input.settlement.held,
        requestId: input.requestId,
        call,
        served: input.attempt,
        usage: tokenUsageOf(response.usage),
        latencyMs,
        status: 'ok',
      });
      return { response, costUsd: settled.costUsd };
    } catch (err) {
      const pause = pauses[i];
      if (pause === undefined) {
        Context.current().log.warn('settlement failed in the activity; the workflow settles in a local activity', {
          reservationId: input.settlement.reservationId,
          error: err instanceof Error ? err.message : String(err),
        });
        return { response, costUsd: null };
      }
      await Context.current().sleep(pause);
    }
  }
}

/**
 * One attempt: the circuit is asked first (open: `CircuitOpen`, non-retryable, so the workflow
 * moves to the next deployment without calling this one), then the upstream is called within
 * the deployment's timeouts and the client's deadline, and the outcome is counted for the
 * circuit and the balancer. A cancelled activity counts for neither.
 */
async function withProvider<R, T>(
  deps: ProviderActivityDeps,
  input: ProviderCallInput<R>,
  run: (adapter: ReturnType<ProviderRegistry['get']>, ctx: CallContext) => Promise<T>,
): Promise<T> {
  const { provider, model, upstreamModel } = input.attempt;
  const id = deploymentId(provider, upstreamModel);
  const permit = deps.circuits?.acquire(id) ?? ALLOWED;
  if (permit.kind === 'deny') {
    deps.metrics?.upstreamAttempts.inc({ provider, model, outcome: FailureType.CircuitOpen });
    throw circuitOpenFailure(id, provider, permit.retryAfterMs);
  }
  const leftMs = input.deadlineAt === undefined ? undefined : input.deadlineAt - Date.now();
  if (leftMs !== undefined && leftMs <= 0) {
    deps.circuits?.release(id, permit, CallOutcome.Neutral);
    throw ApplicationFailure.create({ message: 'the request deadline passed', type: FailureType.RequestTimeout, nonRetryable: true });
  }
  const started = performance.now();
  if (Context.current().info.attempt > 1) deps.metrics?.upstreamRetries.inc({ provider, model });
  const done = deps.stats?.begin(id);
  const context = Context.current();
  const signal = context.cancellationSignal;
  // Keeps a regular attempt's heartbeat timeout (workflows/run-plan.ts) from firing while the
  // upstream thinks; a worker that dies stops heartbeating and the server retries the attempt
  // elsewhere. A local attempt has no heartbeat: the SDK keeps its workflow task alive instead.
  const heartbeats = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(), ATTEMPT_HEARTBEAT_EVERY_MS);
  const ctx: CallContext = {
    upstreamModel,
    signal,
    requestId: input.requestId,
    firstByteTimeoutMs: input.attempt.timeouts?.firstByteMs,
    totalTimeoutMs: minDefined(input.attempt.timeouts?.totalMs, leftMs),
  };
  let outcome: CallOutcome = CallOutcome.Neutral;
  try {
    const result = await run(deps.providers.get(provider), ctx);
    deps.metrics?.upstreamAttempts.inc({ provider, model, outcome: 'success' });
    outcome = CallOutcome.Success;
    deps.stats?.observeLatency(id, performance.now() - started);
    return result;
  } catch (err) {
    const failure = toFailure(err, provider, jitteredBackoffMs(input.retry, Context.current().info.attempt));
    deps.metrics?.upstreamAttempts.inc({ provider, model, outcome: failure.type ?? 'unknown' });
    if (!signal.aborted && deps.circuits) outcome = outcomeOfFailureBefore(failure.type ?? undefined, deps.circuits.settingsFor(id), input.deadlineAt);
    throw failure;
  } finally {
    clearInterval(heartbeats);
    done?.();
    deps.circuits?.release(id, permit, outcome);
    deps.metrics?.upstreamLatency.observe({ provider, model }, (performance.now() - started) / 1000);
  }
}

const ALLOWED = { kind: 'allow' } as const;

function circuitOpenFailure(id: string, provider: string, retryAfterMs: number | undefined): ApplicationFailure {
  return ApplicationFailure.create({
    message: `the circuit breaker of ${id} is open`,
    type: FailureType.CircuitOpen,
    nonRetryable: true,
    details: [{ failureType: FailureType.CircuitOpen, provider, retryAfterMs }],
  });
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Temporal's own backoff has no jitter, so many requests failing together would retry in
 * lockstep against an upstream that is already struggling. The activity sets the next delay
 * itself: the policy's exponential delay for this attempt, scaled by a random factor in
 * [0.5, 1.5). An upstream Retry-After wins over it.
 */
export function jitteredBackoffMs(retry: RetrySettings, attempt: number, random: () => number = Math.random): number {
  const exponential = retry.initialIntervalMs * retry.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.round(Math.min(retry.maxIntervalMs, exponential) * (0.5 + random()));
}

function toFailure(err: unknown, provider: string, backoffMs: number): ApplicationFailure {
  if (err instanceof UpstreamError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.failureType,
      nonRetryable: NON_RETRYABLE_FAILURE_TYPES.includes(err.failureType),
      nextRetryDelay: err.retryAfterMs ?? backoffMs,
      details: [{ ...err.toDetails(), provider: err.provider ?? provider }],
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    message: `unexpected provider failure: ${message}`,
    type: FailureType.ProviderServerError,
    nextRetryDelay: backoffMs,
    details: [{ failureType: FailureType.ProviderServerError, provider }],
  });
}
