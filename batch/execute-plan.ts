import { setTimeout as sleep } from 'node:timers/promises';
import { jitteredBackoffMs } from '../activities/provider-activities';
import type { RetrySettings } from '../config/gateway-config';
import type { RouteAttempt } from '../config/route-plan';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES, REQUEST_FATAL_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { CallResult } from '../workflows/types';

/** The outcome of a plan run outside Temporal: the answer, or the last upstream failure. */
export type PlanOutcome<T> = { readonly ok: true; readonly result: CallResult<T> } | { readonly ok: false; readonly error: UpstreamError };

/**
 * Runs a route plan in plain TypeScript, with the same rules the durable path gets from
 * `workflows/run-plan.ts` and Temporal's retry policy: each deployment up to `max_attempts`
 * times, waiting the upstream's Retry-After or the jittered exponential backoff
 * (`jitteredBackoffMs`, shared with the provider activities) between attempts; a failure type
 * in NON_RETRYABLE_FAILURE_TYPES moves on to the next deployment at once, and one in
 * REQUEST_FATAL_FAILURE_TYPES ends the plan. Batch items use it: thousands of items per page
 * activity cannot each be a workflow (see docs/batches.md).
 *
 * Never throws for an upstream failure; other errors (a bug in an adapter) count as
 * `ProviderServerError`, as the activities count them.
 */
export async function executePlan<T>(opts: {
  plan: readonly RouteAttempt[];
  retry: RetrySettings;
  call: (attempt: RouteAttempt) => Promise<T>;
  /** Injectable for tests; default: a real timer. */
  wait?: (ms: number) => Promise<unknown>;
  random?: () => number;
}): Promise<PlanOutcome<T>> {
  const wait = opts.wait ?? ((ms: number) => sleep(ms));
  let last: UpstreamError | undefined;
  for (let index = 0; index < opts.plan.length; index++) {
    const attempt = opts.plan[index]!;
    for (let n = 1; n <= opts.retry.maxAttempts; n++) {
      try {
        return { ok: true, result: { response: await opts.call(attempt), served: attempt, fallbacks: index } };
      } catch (err) {
        last = asUpstreamError(err, attempt.provider);
      }
      if (REQUEST_FATAL_FAILURE_TYPES.includes(last.failureType)) return { ok: false, error: last };
      if (NON_RETRYABLE_FAILURE_TYPES.includes(last.failureType) || n === opts.retry.maxAttempts) break;
      await wait(last.retryAfterMs ?? jitteredBackoffMs(opts.retry, n, opts.random));
    }
  }
  return { ok: false, error: last ?? new UpstreamError('route has no deployments', { failureType: FailureType.InvalidRequest }) };
}

function asUpstreamError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err.provider ? err : new UpstreamError(err.message, { ...err.toDetails(), provider });
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(`unexpected provider failure: ${message}`, { failureType: FailureType.ProviderServerError, provider });
}
