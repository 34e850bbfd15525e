import { ApplicationFailure, isCancellation, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { FailureType, REQUEST_FATAL_FAILURE_TYPES } from '../errors/failure-types';
import { RequestOutcome, SA, type RequestKind } from '../temporal/search-attributes';
import { handAnswer } from './answer-sink';
import type { BilledResult, ChatWorkflowInput } from './types';

/** How far a request got through its plan: `runPlan` counts, the final upsert reads. */
export interface PlanProgress {
  /** Deployments tried so far (0: none, e.g. the budget refused the request). */
  attempted: number;
}

type RecordedInput = Pick<ChatWorkflowInput, 'caller' | 'plan'> & { readonly request: { readonly model: string } };

/**
 * Runs a request workflow's body and records how it ended in its search attributes: outcome,
 * the provider that answered (or the last one tried), the fallback count and the cost, plus
 * tenant, key, model and kind so a workflow started without them is still findable.
 *
 * The upsert is made synchronously right before the workflow returns or throws, so its command
 * travels in the same workflow task completion as the completion command: it costs no extra
 * workflow task or activation, only the visibility write the server makes anyway.
 */
export async function recordOutcome<T>(
  kind: RequestKind,
  input: RecordedInput,
  progress: PlanProgress,
  run: () => Promise<BilledResult<T>>,
): Promise<BilledResult<T>> {
  const common: SearchAttributeUpdatePair[] = [
    { key: SA.Tenant, value: input.caller.tenantId },
    { key: SA.KeyId, value: input.caller.keyId },
    { key: SA.Model, value: input.request.model },
    { key: SA.RequestKind, value: kind },
  ];
  let result: BilledResult<T>;
  try {
    result = await run();
  } catch (err) {
    const lastTried = input.plan[progress.attempted - 1];
    upsertSearchAttributes([
      ...common,
      { key: SA.Outcome, value: outcomeOf(err) },
      // Nothing was tried when the budget refused: the start's planned provider is dropped.
      { key: SA.Provider, value: lastTried?.provider ?? null },
      { key: SA.FallbackCount, value: Math.max(0, progress.attempted - 1) },
      { key: SA.CostUsd, value: 0 },
    ]);
    throw err;
  }
  upsertSearchAttributes([
    ...common,
    { key: SA.Outcome, value: RequestOutcome.Success },
    { key: SA.Provider, value: result.served.provider },
    { key: SA.FallbackCount, value: result.fallbacks },
    { key: SA.CostUsd, value: Number(result.costUsd) },
  ]);
  // The answer leaves with this task's completion: the API request waiting in this process (if
  // any) answers with it instead of waiting for the completion's round trip.
  handAnswer(result);
  return result;
}

/** The outcome a request workflow's failure stands for (its `type` is what the HTTP layer maps). */
export function outcomeOf(err: unknown): RequestOutcome {
  if (isCancellation(err)) return RequestOutcome.Cancelled;
  const type = err instanceof ApplicationFailure ? err.type : undefined;
  if (type === FailureType.BudgetExceeded) return RequestOutcome.BudgetExceeded;
  if (type === FailureType.PriceUnknown) return RequestOutcome.PriceUnknown;
  if (type && REQUEST_FATAL_FAILURE_TYPES.some((t) => t === type)) return RequestOutcome.BadRequest;
  return RequestOutcome.Failed;
}

/**
 * The same final upsert for the maintenance workflows (budget alert delivery, the sweepers):
 * `RequestKind` and `RequestOutcome`, in the workflow task that completes them. Tenant, key,
 * model and cost do not apply to them.
 *
 * @param outcomeOfResult maps a returned value to its outcome; default: `success`.
 */
export async function recordTaskOutcome<T>(
  kind: RequestKind,
  run: () => Promise<T>,
  outcomeOfResult: (result: T) => RequestOutcome = () => RequestOutcome.Success,
): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    upsertSearchAttributes([
      { key: SA.RequestKind, value: kind },
      { key: SA.Outcome, value: isCancellation(err) ? RequestOutcome.Cancelled : RequestOutcome.Failed },
    ]);
    throw err;
  }
  upsertSearchAttributes([
    { key: SA.RequestKind, value: kind },
    { key: SA.Outcome, value: outcomeOfResult(result) },
  ]);
  return result;
}
