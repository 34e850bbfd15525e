import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { ProviderRegistry } from '../providers/registry';
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse } from '../providers/types';
import type { ProviderCallInput } from '../workflows/types';
import type { RetrySettings } from '../config/gateway-config';
import type { GatewayMetrics } from '../observability/metrics';

export interface ProviderActivityDeps {
  readonly providers: ProviderRegistry;
  readonly metrics?: GatewayMetrics;
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
      return withProvider(deps, input, (adapter, signal) =>
        adapter.chat(input.request, { upstreamModel: input.attempt.upstreamModel, signal, requestId: input.requestId }),
      );
    },
    async callEmbeddings(input: ProviderCallInput<EmbeddingRequest>): Promise<EmbeddingResponse> {
      return withProvider(deps, input, (adapter, signal) =>
        adapter.embed(input.request, { upstreamModel: input.attempt.upstreamModel, signal, requestId: input.requestId }),
      );
    },
  };
}

async function withProvider<R, T>(
  deps: ProviderActivityDeps,
  input: ProviderCallInput<R>,
  run: (adapter: ReturnType<ProviderRegistry['get']>, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const { provider, model } = input.attempt;
  if (Context.current().info.attempt > 1) deps.metrics?.upstreamRetries.inc({ provider, model });
  try {
    const result = await run(deps.providers.get(provider), Context.current().cancellationSignal);
    deps.metrics?.upstreamAttempts.inc({ provider, model, outcome: 'success' });
    return result;
  } catch (err) {
    const failure = toFailure(err, provider, jitteredBackoffMs(input.retry, Context.current().info.attempt));
    deps.metrics?.upstreamAttempts.inc({ provider, model, outcome: failure.type ?? 'unknown' });
    throw failure;
  } finally {
    deps.metrics?.upstreamLatency.observe({ provider, model }, (performance.now() - started) / 1000);
  }
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
