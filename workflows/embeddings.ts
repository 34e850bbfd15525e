import { proxyActivities } from '@temporalio/workflow';
import type { ProviderActivities } from '../activities/provider-activities';
import { deadlineOf, runPlan } from './run-plan';
import type { EmbeddingsWorkflowInput, EmbeddingsWorkflowResult } from './types';
import { withBudget } from './with-budget';

const { callEmbeddings } = proxyActivities<ProviderActivities>({ startToCloseTimeout: '1 minute' });

/** One embeddings request (`embeddings-<request id>`), same budget, retry and fallback rules as chat. */
export async function embeddingsWorkflow(input: EmbeddingsWorkflowInput): Promise<EmbeddingsWorkflowResult> {
  return withBudget(input, { kind: 'embeddings', request: input.request }, () =>
    runPlan(input, (attempt, options) =>
      callEmbeddings.executeWithOptions(options, [{ requestId: input.requestId, attempt, request: input.request, retry: input.retry, ...deadlineOf(input) }]),
    ),
  );
}
