import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES, REQUEST_FATAL_FAILURE_TYPES, isFailureType } from '../errors/failure-types';
import type { RouteAttempt } from '../config/route-plan';
import { deploymentBudgetMs } from './deadlines';
import type { PlanProgress } from './record-outcome';
import type { CallResult, ChatWorkflowInput, EmbeddingsWorkflowInput } from './types';

type Planned = Pick<ChatWorkflowInput | EmbeddingsWorkflowInput, 'plan' | 'retry' | 'attemptTimeoutMs'>;

/**
 * Tries each deployment of the plan in order. Temporal retries one deployment's activity with
 * exponential backoff (honouring Retry-After through `nextRetryDelay`, set by the activity);
 * when its attempts are used up, or it failed with a type that only this deployment is to
 * blame for (auth, not found, unsupported), the next deployment is tried. A failure that is
 * the request's own fault (bad request, context length) ends the plan at once: no other
 * deployment would answer differently.
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
    progress.attempted = index + 1;
    try {
      const response = await call(attempt, activityOptionsFor(input, attempt));
      return { response, served: attempt, fallbacks: index };
    } catch (err) {
      lastFailure = toApplicationFailure(err);
      if (lastFailure.type && REQUEST_FATAL_FAILURE_TYPES.some((t) => t === lastFailure?.type)) break;
    }
  }
  throw lastFailure ?? ApplicationFailure.nonRetryable('route has no deployments', 'InvalidRequest');
}

function activityOptionsFor(input: Planned, attempt: RouteAttempt): ActivityOptions {
  return {
    summary: `${attempt.provider} / ${attempt.upstreamModel}`,
    startToCloseTimeout: input.attemptTimeoutMs,
    // A bound on the whole deployment, retries included, so one slow deployment cannot eat the request.
    scheduleToCloseTimeout: deploymentBudgetMs(input),
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
