import type { Request, Response } from 'express';
import { planRoute } from '../../config/route-plan';
import type { ChatRequest } from '../../providers/types';
import { SA } from '../../temporal/search-attributes';
import { WorkflowIdPrefix, chatWorkflowId } from '../../temporal/workflow-ids';
import type { ChatWorkflowInput, ChatWorkflowResult } from '../../workflows/types';
import { workflowTimeoutMs } from '../../workflows/deadlines';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { executeRequestWorkflow } from '../durable-call';
import { idempotentId } from '../idempotency';
import { allowedPlan, applyChatPolicy, assertModelAllowed } from '../policies';
import { attemptTimeoutMs, resolveModel } from '../resolve-model';
import { streamChat } from '../stream-chat';
import { chatRequestSchema } from '../validation/chat-request-schema';
import { validateBody } from '../validation/validate';
import { recordUsage, setServedHeaders } from './served';

/**
 * POST /v1/chat/completions. `stream: true` takes the fast path (no Temporal); everything else
 * is one durable workflow per request.
 */
export function chatCompletions(deps: ApiDeps) {
  return async function chatCompletionsHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(chatRequestSchema, req.body) as ChatRequest;
    const route = resolveModel(deps.config, body.model, 'chat');
    res.locals.model = route.name;
    const key = res.locals.key as ClientKey;
    assertModelAllowed(key.policy, route.name);
    const plan = allowedPlan(key.policy, planRoute(deps.config, route));

    if (body.stream) {
      const caller = { tenantId: key.tenantId, teamId: key.teamId, keyId: key.id, tags: key.tags };
      await streamChat(deps, req, res, { request: applyChatPolicy(key.policy, body), plan, requestId: res.locals.requestId as string, caller });
      return;
    }

    const { stream: _stream, stream_options: _streamOptions, ...request } = body;
    const requestId = res.locals.requestId as string;
    const idemId = await idempotentId(req, {
      pool: deps.pool,
      keyId: key.id,
      windowMs: deps.config.idempotencyWindowMs,
      prefix: WorkflowIdPrefix.Chat,
      body: request,
    });
    const input: ChatWorkflowInput = {
      requestId,
      caller: { tenantId: key.tenantId, teamId: key.teamId, keyId: key.id, tags: key.tags },
      plan,
      retry: deps.config.retry,
      attemptTimeoutMs: attemptTimeoutMs(
        deps.config,
        plan.map((a) => a.provider),
      ),
      // The idempotency digest above is of the client's request; the policy applies after it.
      request: applyChatPolicy(key.policy, request as ChatRequest),
    };
    const result = await executeRequestWorkflow<ChatWorkflowResult>(deps, {
      workflowType: 'chatCompletionWorkflow',
      workflowId: idemId ?? chatWorkflowId(requestId),
      idempotent: idemId !== undefined,
      input,
      searchAttributes: [
        { key: SA.Tenant, value: key.tenantId },
        { key: SA.KeyId, value: key.id },
        { key: SA.Model, value: route.name },
        { key: SA.Provider, value: plan[0]?.provider ?? 'none' },
        { key: SA.RequestKind, value: 'chat' },
      ],
      timeoutMs: workflowTimeoutMs(input),
      kind: 'chat',
    });
    setServedHeaders(res, result);
    recordUsage(deps.metrics, result.served, result.response.usage, 'chat');
    res.json(result.response);
  };
}
