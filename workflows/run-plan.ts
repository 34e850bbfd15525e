import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { FailureType, NON_RETRYABLE_FAILURE_TYPES, REQUEST_FATAL_FAILURE_TYPES, isFailureType } from '../errors/failure-types';
import type { RouteAttempt } from '../config/route-plan';
import { deploymentBudgetMs } from './deadlines';
import type { PlanProgress } from './record-outcome';
import type { CallResult, ChatWorkflowInput, EmbeddingsWorkflowInput } from './types';

type Planned = Pick<ChatWorkflowInput | EmbeddingsWorkflowInput, 'plan' | 'retry' | 'attemptTimeoutMs' | 'deadlineAt'>;

/**
 * Tries each deployment of the plan in order. Temporal retries one deployment's activity with
 * exponential backoff (honouring Retry-After through `nextRetryDelay`, set by the activity);
 * when its attempts are used up, or it failed with a type that only this deployment is to
 * blame for (auth, not found, unsupported), the next deployment is tried. A failure that is
 * the request's own fault (bad request, context length) ends the plan at once: no other
 * deployment would answer differently.
 *
 * With a client deadline (`deadlineAt`), each deployment's bounds are cut to the time left, no
 * deployment starts after it, and a deployment whose retries the deadline stopped ends the
 * plan with `RequestTimeout`. `Date.now()` is the workflow's deterministic clock.
 *
 * A deployment whose circuit is open fails its activity at once with `CircuitOpen` (decided in
 * the activity, never here), and the plan moves on.
 *
 * Throws the last upstream failure as a non-retryable ApplicationFailure (its `type` and
 * `details` are what the HTTP layer maps to an OpenAI error). `progress.attempted` counts the
 * deployments tried, for the search attributes the workflow records when it ends.
 */
export async function runPlan<T>(
  input: Planned,
  call: (attempt: RouteAttempt, options: ActivityOptions) => Promise<T>,
  progress: PlanProgress = { attempted: 0 },
): Promise<CallResult<T>> {
  let lastFailure: ApplicationFailure | undefined;
  for (let index = 0; index < input.plan.length; index++) {
    const attempt = input.plan[index]!;
    const leftMs = input.deadlineAt === undefined ? undefined : input.deadlineAt - Date.now();
    if (leftMs !== undefined && leftMs <= 0) {
      lastFailure = deadlineFailure();
      break;
    }
    progress.attempted = index + 1;
    try {
      const response = await call(attempt, activityOptionsFor(input, attempt, leftMs));
      return { response, served: attempt, fallbacks: index };
    } catch (err) {
      lastFailure = toApplicationFailure(err);
      // Temporal stopped retrying because the (deadline-cut) schedule-to-close bound was reached.
      if (leftMs !== undefined && leftMs < deploymentBudgetMs(input) && stoppedByScheduleToClose(err)) lastFailure = deadlineFailure();
      if (lastFailure.type && REQUEST_FATAL_FAILURE_TYPES.some((t) => t === lastFailure?.type)) break;
    }
  }
  throw lastFailure ?? ApplicationFailure.nonRetryable('route has no deployments', 'InvalidRequest');
}

/**
 * The activity's retries ended at its schedule-to-close bound: the server either timed the
 * activity out there (a `SCHEDULE_TO_CLOSE` timeout) or declined a retry that would start after
 * it (retry state `TIMEOUT`).
 */
function stoppedByScheduleToClose(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return err.retryState === 'TIMEOUT' || (err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_CLOSE');
}

/** The activity input's deadline field: absent without a deadline, so such inputs stay as they were recorded. */
export function deadlineOf(input: Pick<Planned, 'deadlineAt'>): { deadlineAt?: number } {
  return input.deadlineAt === undefined ? {} : { deadlineAt: input.deadlineAt };
}

function deadlineFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    message: 'the request did not finish within its x-switchyard-timeout-ms deadline',
    type: FailureType.RequestTimeout,
    details: [{ failureType: FailureType.RequestTimeout }],
    nonRetryable: true,
  });
}

/**
 * How long an attempt may go without a heartbeat before the server retries it elsewhere: a
 * worker that dies mid-call is noticed this fast, not at the attempt's start-to-close timeout
 * (a minute or more). The activity heartbeats every `ATTEMPT_HEARTBEAT_EVERY_MS` while it waits;
 * an answer within that interval sends none.
 */
export const ATTEMPT_HEARTBEAT_TIMEOUT_MS = 10_000;

/** @param leftMs time until the client's deadline, when there is one: cuts both bounds. */
function activityOptionsFor(input: Planned, attempt: RouteAttempt, leftMs: number | undefined): ActivityOptions {
  const budget = deploymentBudgetMs(input);
  const startToClose = leftMs === undefined ? input.attemptTimeoutMs : Math.min(input.attemptTimeoutMs, leftMs + 1_000);
  return {
    summary: `${attempt.provider} / ${attempt.upstreamModel}`,
    startToCloseTimeout: startToClose,
    ...(startToClose > ATTEMPT_HEARTBEAT_TIMEOUT_MS ? { heartbeatTimeout: ATTEMPT_HEARTBEAT_TIMEOUT_MS } : {}),
    // A bound on the whole deployment, retries included, so one slow deployment cannot eat the request.
    scheduleToCloseTimeout: leftMs === undefined ? budget : Math.min(budget, leftMs),
    retry: {
      maximumAttempts: input.retry.maxAttempts,
      initialInterval: input.retry.initialIntervalMs,
      backoffCoefficient: input.retry.backoffCoefficient,
      maximumInterval: input.retry.maxIntervalMs,
      nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES],
    },
  };
}

/** Unwraps ActivityFailure → its ApplicationFailure cause, keeping type and details for the caller. */
function toApplicationFailure(err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: cause.message,
      type: isFailureType(cause.type) ? cause.type : 'ProviderServerError',
      details: cause.details ? [...cause.details] : undefined,
      nonRetryable: true,
    });
  }
  // Timeouts (start-to-close / schedule-to-close) arrive as TimeoutFailure causes.
  const message = cause instanceof Error ? cause.message : String(cause);
  return ApplicationFailure.create({ message: `upstream timed out or failed: ${message}`, type: 'ProviderTimeout', nonRetryable: true });
}
