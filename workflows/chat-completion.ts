import { proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities } from '../activities/provider-activities';
import { RequestKind } from '../temporal/search-attributes';
import { recordOutcome, type PlanProgress } from './record-outcome';
import { attemptActivity } from './attempt-activities';
import { deadlineOf, runPlan } from './run-plan';
import type { ChatWorkflowInput, ChatWorkflowResult } from './types';
import { withBudget, withHeldBudget } from './with-budget';

// Options are set per call in runPlan (retry policy and summary per deployment).
const { callChat } = proxyActivities<ProviderActivities>({ startToCloseTimeout: '1 minute' });

/**
 * One non-streaming chat completion (`chat-<request id>`): the caller's budgets hold the
 * estimate, then every deployment of the route plan is tried in order, each retried with
 * backoff, then the fallback models'; the served call is settled at its actual cost. Each
 * deployment's attempts are one activity visible in the Temporal UI, summarised as
 * `provider / upstream model`; the outcome, provider and cost land in search attributes as the
 * workflow completes.
 *
 * The hold comes from the API (`input.hold`) and the served attempt settles in its activity
 * (`callChatAndSettle`). With local attempts (the default) a request that succeeds is one
 * workflow task: the attempt's marker, the outcome upsert and the completion, like the
 * benchmark's one-local-activity floor; with regular ones, two tasks around one activity.
 */
export async function chatCompletionWorkflow(input: ChatWorkflowInput): Promise<ChatWorkflowResult> {
  const progress: PlanProgress = { attempted: 0 };
  const { hold } = input;
  if (hold) {
    const callChatAndSettle = attemptActivity(input, 'callChatAndSettle');
    return recordOutcome(RequestKind.Chat, input, progress, () =>
      withHeldBudget({ ...input, hold }, { kind: 'chat', request: input.request }, (settlement) =>
        runPlan(
          input,
          (attempt, options) =>
            callChatAndSettle(options, [{ requestId: input.requestId, attempt, request: input.request, retry: input.retry, ...deadlineOf(input), settlement }]),
          progress,
        ),
      ),
    );
  }
  // Histories recorded before the API held budgets: reserve and settle in the workflow.
  return recordOutcome(RequestKind.Chat, input, progress, () =>
    withBudget(input, { kind: 'chat', request: input.request }, () =>
      runPlan(
        input,
        (attempt, options) =>
          callChat.executeWithOptions(options, [{ requestId: input.requestId, attempt, request: input.request, retry: input.retry, ...deadlineOf(input) }]),
        progress,
      ),
    ),
  );
}
