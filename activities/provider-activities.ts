import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { ProviderRegistry } from '../providers/registry';
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse } from '../providers/types';
import type { ProviderCallInput } from '../workflows/types';
import type { RetrySettings } from '../config/gateway-config';
import type { GatewayMetrics } from '../observability/metrics';
import type { CircuitBreakers } from '../circuit/circuit-breakers';
import { CallOutcome, outcomeOfFailure } from '../circuit/outcome';
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
}

export type ProviderActivities = ReturnType<typeof createProviderActivities>;

/**
 * Provider calls as regular activities: a crash mid-call is retried by the server per the
 * workflow's policy rather than re-running the whole workflow task (a local activity would
 * repeat the call after a worker crash and could pay the provider twice).
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
  };
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
  const signal = Context.current().cancellationSignal;
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
    if (!signal.aborted && deps.circuits) outcome = outcomeOfFailure(failure.type ?? undefined, deps.circuits.settingsFor(id));
    throw failure;
  } finally {
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
