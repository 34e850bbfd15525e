import type { Request, Response } from 'express';
import { planRoute } from '../../config/route-plan';
import type { EmbeddingRequest } from '../../providers/types';
import { SA } from '../../temporal/search-attributes';
import { WorkflowIdPrefix, embeddingsWorkflowId } from '../../temporal/workflow-ids';
import type { EmbeddingsWorkflowInput, EmbeddingsWorkflowResult } from '../../workflows/types';
import { workflowTimeoutMs } from '../../workflows/deadlines';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { executeRequestWorkflow } from '../durable-call';
import { idempotentId } from '../idempotency';
import { allowedPlan, assertModelAllowed } from '../policies';
import { attemptTimeoutMs, resolveModel } from '../resolve-model';
import { embeddingRequestSchema } from '../validation/chat-request-schema';
import { validateBody } from '../validation/validate';
import { recordUsage, setServedHeaders } from './served';

/** POST /v1/embeddings: one durable workflow per request, like non-streaming chat. */
export function embeddings(deps: ApiDeps) {
  return async function embeddingsHandler(req: Request, res: Response): Promise<void> {
    const request = validateBody(embeddingRequestSchema, req.body) as EmbeddingRequest;
    const route = resolveModel(deps.config, request.model, 'embedding');
    res.locals.model = route.name;
    const key = res.locals.key as ClientKey;
    assertModelAllowed(key.policy, route.name);
    const requestId = res.locals.requestId as string;
    const plan = allowedPlan(key.policy, planRoute(deps.config, route));
    const idemId = await idempotentId(req, {
      pool: deps.pool,
      keyId: key.id,
      windowMs: deps.config.idempotencyWindowMs,
      prefix: WorkflowIdPrefix.Embeddings,
      body: request,
    });
    const input: EmbeddingsWorkflowInput = {
      requestId,
      caller: { tenantId: key.tenantId, teamId: key.teamId, keyId: key.id, tags: key.tags },
      plan,
      retry: deps.config.retry,
      attemptTimeoutMs: attemptTimeoutMs(
        deps.config,
        plan.map((a) => a.provider),
      ),
      request,
    };
    const result = await executeRequestWorkflow<EmbeddingsWorkflowResult>(deps, {
      workflowType: 'embeddingsWorkflow',
      workflowId: idemId ?? embeddingsWorkflowId(requestId),
      idempotent: idemId !== undefined,
      input,
      searchAttributes: [
        { key: SA.Tenant, value: key.tenantId },
        { key: SA.KeyId, value: key.id },
        { key: SA.Model, value: route.name },
        { key: SA.Provider, value: plan[0]?.provider ?? 'none' },
        { key: SA.RequestKind, value: 'embeddings' },
      ],
      timeoutMs: workflowTimeoutMs(input),
      kind: 'embeddings',
    });
    setServedHeaders(res, result);
    recordUsage(deps.metrics, result.served, result.response.usage, 'embeddings');
    res.json(result.response);
  };
}
