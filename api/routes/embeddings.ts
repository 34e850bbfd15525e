import type { Request, Response } from 'express';
import type { EmbeddingRequest } from '../../providers/types';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { answerDurably } from '../durable-request';
import { idempotencyKeyOf } from '../idempotency';
import { assertModelAllowed } from '../policies';
import { planRequest } from '../plan-request';
import { requestDeadline } from '../request-deadline';
import { resolveModel } from '../resolve-model';
import { embeddingRequestSchema } from '../validation/chat-request-schema';
import { validateBody } from '../validation/validate';

/** POST /v1/embeddings: one durable workflow per request, like non-streaming chat. */
export function embeddings(deps: ApiDeps) {
  return async function embeddingsHandler(req: Request, res: Response): Promise<void> {
    const deadlineAt = requestDeadline(req);
    const request = validateBody(embeddingRequestSchema, req.body) as EmbeddingRequest;
    // Checked before the circuits can refuse the request: a malformed header is the client's error.
    const idempotencyKey = idempotencyKeyOf(req);
    const route = resolveModel(deps.config, request.model, 'embedding');
    res.locals.model = route.name;
    const key = res.locals.key as ClientKey;
    assertModelAllowed(key.policy, route.name);
    const plan = planRequest(deps, key, route);
    await answerDurably(deps, res, { key, route, plan, deadlineAt, idempotencyKey, call: { kind: 'embeddings', clientRequest: request, request } });
  };
}
