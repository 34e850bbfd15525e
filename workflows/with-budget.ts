import { ActivityFailure, ApplicationFailure, CancellationScope, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { BudgetActivities, ReserveBudgetInput } from '../activities/budget-activities';
import type { BudgetHold, PricedCall } from '../budget/charge';
import { tokenUsageOf, type OpenAIUsageLike } from '../budget/usage-tokens';
import { FailureType } from '../errors/failure-types';
import { workflowTimeoutMs } from './deadlines';
import type { AttemptSettlement, BilledResult, CallResult, ChatWorkflowInput, SettledAttempt } from './types';

/*
 * Where the money steps run. The API holds the estimate before it starts the workflow (no query
 * when its key cache knows no budget applies), and the attempt that gets an answer settles in its own
 * activity: on the success path the workflow has one activity and no budget step, which is what
 * keeps it within a few milliseconds of a bare one-activity workflow. The workflow's own budget
 * steps are LOCAL activities (one idempotent Postgres transaction each, keyed by the workflow
 * id, so a re-run after a worker crash is harmless): the release after a failure, the settlement
 * when the attempt could not reach the ledger, and, for histories recorded before the API held
 * budgets, the reserve and settle of that older shape. Provider calls stay regular activities.
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
 * The money saga of a request whose hold the API took before starting the workflow (every
 * request since the API holds budgets): run the plan, whose served attempt settles its own cost
 * in its activity → return. The workflow settles in a local activity only when the attempt could
 * not reach the ledger in time, and hands the hold back (non-cancellable) when every attempt
 * failed. The success path has no budget step in the workflow at all.
 *
 * Every step is keyed by the workflow id, so retries and replays never charge twice.
 */
export async function withHeldBudget<T extends { readonly usage?: OpenAIUsageLike | null }>(
  input: BudgetedInput & { readonly hold: BudgetHold },
  call: PricedCall,
  run: (settlement: AttemptSettlement) => Promise<CallResult<SettledAttempt<T>>>,
): Promise<BilledResult<T>> {
  const reservationId = workflowInfo().workflowId;
  const started = Date.now();
  let result: CallResult<SettledAttempt<T>>;
  try {
    result = await run({ reservationId, caller: input.caller, held: input.hold.held });
  } catch (err) {
    // Nothing was written for a caller without budgets: nothing to hand back.
    if (input.hold.held) await releaseQuietly(reservationId);
    throw err;
  }
  const { response, costUsd } = result.response;
  const billed = { response, served: result.served, fallbacks: result.fallbacks };
  if (costUsd !== null) return { ...billed, costUsd };
  const settled = await settleBudget({
    reservationId,
    requestId: input.requestId,
    call,
    served: result.served,
    usage: tokenUsageOf(response.usage),
    latencyMs: Date.now() - started,
    caller: input.caller,
    held: input.hold.held,
  });
  return { ...billed, costUsd: settled.costUsd };
}

/**
 * Compensation of the hold: the request failed and nothing was spent. Non-cancellable, so a
 * cancelled workflow still hands its hold back; a failed release is only logged, the sweeper
 * releases the hold at its expiry.
 */
async function releaseQuietly(reservationId: string): Promise<void> {
  await CancellationScope.nonCancellable(() =>
    releaseBudget({ reservationId }).catch((releaseErr: unknown) => {
      log.warn('budget release failed; the sweeper will release it at expiry', { reservationId, error: String(releaseErr) });
    }),
  );
}

/**
 * The money saga of histories recorded before the API took the hold (they replay this shape):
 * reserve the estimate → run the plan → settle the actual cost (success) or release the hold
 * (failure) → return or rethrow.
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
    await releaseQuietly(reservationId);
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
