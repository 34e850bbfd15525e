import type { Request, Response } from 'express';
import type { ChatRequest } from '../../providers/types';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { answerDurably, callerOf } from '../durable-request';
import { idempotencyKeyOf } from '../idempotency';
import { applyChatPolicy, assertModelAllowed } from '../policies';
import { planRequest } from '../plan-request';
import { requestDeadline } from '../request-deadline';
import { resolveModel } from '../resolve-model';
import { streamChat } from '../stream-chat';
import { chatRequestSchema } from '../validation/chat-request-schema';
import { validateBody } from '../validation/validate';

/**
 * POST /v1/chat/completions. `stream: true` takes the fast path (no Temporal); everything else
 * is one durable workflow per request.
 */
export function chatCompletions(deps: ApiDeps) {
  return async function chatCompletionsHandler(req: Request, res: Response): Promise<void> {
    const deadlineAt = requestDeadline(req);
    const body = validateBody(chatRequestSchema, req.body) as ChatRequest;
    // Streams ignore the header; a durable request's is checked before the circuits can refuse it.
    const idempotencyKey = body.stream ? undefined : idempotencyKeyOf(req);
    const route = resolveModel(deps.config, body.model, 'chat');
    res.locals.model = route.name;
    const key = res.locals.key as ClientKey;
    assertModelAllowed(key.policy, route.name);
    const plan = planRequest(deps, key, route);

    if (body.stream) {
      const request = applyChatPolicy(key.policy, body);
      await streamChat(deps, req, res, { request, plan, requestId: res.locals.requestId as string, caller: callerOf(key), budgeted: key.budgeted, deadlineAt });
      return;
    }
    const { stream: _stream, stream_options: _streamOptions, ...clientRequest } = body;
    // The idempotency digest is of the client's request; the policy applies after it.
    const request = applyChatPolicy(key.policy, clientRequest as ChatRequest);
    await answerDurably(deps, res, { key, route, plan, deadlineAt, idempotencyKey, call: { kind: 'chat', clientRequest, request } });
  };
}
