import { proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities } from '../activities/provider-activities';
import { RequestKind } from '../temporal/search-attributes';
import { recordOutcome, type PlanProgress } from './record-outcome';
import { attemptActivity } from './attempt-activities';
import { deadlineOf, runPlan } from './run-plan';
import type { EmbeddingsWorkflowInput, EmbeddingsWorkflowResult } from './types';
import { withBudget, withHeldBudget } from './with-budget';

const { callEmbeddings } = proxyActivities<ProviderActivities>({ startToCloseTimeout: '1 minute' });

/** One embeddings request (`embeddings-<request id>`), same budget, retry, fallback and search-attribute rules as chat. */
export async function embeddingsWorkflow(input: EmbeddingsWorkflowInput): Promise<EmbeddingsWorkflowResult> {
  const progress: PlanProgress = { attempted: 0 };
  const { hold } = input;
  if (hold) {
    const callEmbeddingsAndSettle = attemptActivity(input, 'callEmbeddingsAndSettle');
    return recordOutcome(RequestKind.Embeddings, input, progress, () =>
      withHeldBudget({ ...input, hold }, { kind: 'embeddings', request: input.request }, (settlement) =>
        runPlan(
          input,
          (attempt, options) =>
            callEmbeddingsAndSettle(options, [
              { requestId: input.requestId, attempt, request: input.request, retry: input.retry, ...deadlineOf(input), settlement },
            ]),
          progress,
        ),
      ),
    );
  }
  // Histories recorded before the API held budgets: reserve and settle in the workflow.
  return recordOutcome(RequestKind.Embeddings, input, progress, () =>
    withBudget(input, { kind: 'embeddings', request: input.request }, () =>
      runPlan(
        input,
        (attempt, options) =>
          callEmbeddings.executeWithOptions(options, [
            { requestId: input.requestId, attempt, request: input.request, retry: input.retry, ...deadlineOf(input) },
          ]),
        progress,
      ),
    ),
  );
}
