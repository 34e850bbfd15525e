import { ActivityFailure, ApplicationFailure, CancellationScope, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { BudgetActivities, ReserveBudgetInput } from '../activities/budget-activities';
import type { BudgetHold } from '../budget/charge';
import { tokenUsageOf, type OpenAIUsageLike } from '../budget/usage-tokens';
import { FailureType } from '../errors/failure-types';
import { workflowTimeoutMs } from './deadlines';
import type { BilledResult, CallResult, ChatWorkflowInput } from './types';

/*
 * The budget steps are LOCAL activities: each is one idempotent Postgres transaction keyed by
 * the workflow id, so a re-run after a worker crash is harmless, and running them in the
 * workflow's own task saves two server round trips (schedule + complete) per step on a path
 * whose latency is measured in tens of milliseconds. Provider calls stay regular activities.
 */

/** Reserve: a couple of quick retries for a database blip; a refusal is final. */
export const RESERVE_RETRY: RetryPolicy = {
  maximumAttempts: 3,
  initialInterval: '100 ms',
  backoffCoefficient: 2,
  maximumInterval: '1 second',
  nonRetryableErrorTypes: [FailureType.BudgetExceeded, FailureType.PriceUnknown],
};

/**
 * Settle and release: the upstream has already answered (or failed), so these try harder,
 * within a bound; what still fails is left to the sweeper at the reservation's expiry.
 */
export const SETTLE_RETRY: RetryPolicy = {
  maximumAttempts: 8,
  initialInterval: '200 ms',
  backoffCoefficient: 2,
  maximumInterval: '5 seconds',
};

const { reserveBudget } = proxyLocalActivities<BudgetActivities>({ startToCloseTimeout: '5 seconds', retry: RESERVE_RETRY });
const { settleBudget, releaseBudget } = proxyLocalActivities<BudgetActivities>({
  startToCloseTimeout: '5 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: SETTLE_RETRY,
});

type BudgetedInput = Pick<ChatWorkflowInput, 'requestId' | 'caller' | 'plan' | 'retry' | 'attemptTimeoutMs'>;

/**
 * The money saga around one request: reserve the estimate → run the plan → settle the actual
 * cost (success) or release the hold (failure) → return or rethrow.
 *
 * Every step is keyed by the workflow id, so Temporal's retries and replays never charge twice.
 * A refused reservation fails the workflow with `BudgetExceeded` / `PriceUnknown` before any
 * upstream is called.
 */
export async function withBudget<T extends { readonly usage?: OpenAIUsageLike | null }>(
  input: BudgetedInput,
  call: ReserveBudgetInput['call'],
  run: () => Promise<CallResult<T>>,
): Promise<BilledResult<T>> {
  const info = workflowInfo();
  const reservationId = info.workflowId;
  let hold: BudgetHold;
  try {
    hold = await reserveBudget({
      reservationId,
      caller: input.caller,
      plan: input.plan,
      call,
      ttlMs: info.executionTimeoutMs ?? workflowTimeoutMs(input),
    });
  } catch (err) {
    throw unwrapRefusal(err);
  }
  const started = Date.now();
  let result: CallResult<T>;
  try {
    result = await run();
  } catch (err) {
    // Compensation of reserveBudget: the request failed and nothing was spent. Non-cancellable,
    // so a cancelled workflow still hands its hold back; a failed release is only logged, the
    // sweeper releases the hold at its expiry.
    await CancellationScope.nonCancellable(() =>
      releaseBudget({ reservationId }).catch((releaseErr: unknown) => {
        log.warn('budget release failed; the sweeper will release it at expiry', { reservationId, error: String(releaseErr) });
      }),
    );
    throw err;
  }
  const { costUsd } = await settleBudget({
    reservationId,
    requestId: input.requestId,
    call,
    served: result.served,
    usage: tokenUsageOf(result.response.usage),
    latencyMs: Date.now() - started,
    caller: input.caller,
    // Histories recorded before `held` existed replay with it undefined: settle then also
    // writes the reservation row, which is a no-op for one that exists.
    held: hold.held === true,
  });
  return { ...result, costUsd };
}

/** A refusal reaches the caller as the workflow's own ApplicationFailure (type + details). */
function unwrapRefusal(err: unknown): unknown {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && (cause.type === FailureType.BudgetExceeded || cause.type === FailureType.PriceUnknown)) {
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type,
      details: cause.details ? [...cause.details] : undefined,
      nonRetryable: true,
    });
  }
  return err;
}
