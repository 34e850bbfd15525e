import type { Request, Response } from 'express';
import { planRoute } from '../../config/route-plan';
import type { EmbeddingRequest } from '../../providers/types';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { answerDurably } from '../durable-request';
import { allowedPlan, assertModelAllowed } from '../policies';
import { resolveModel } from '../resolve-model';
import { embeddingRequestSchema } from '../validation/chat-request-schema';
import { validateBody } from '../validation/validate';

/** POST /v1/embeddings: one durable workflow per request, like non-streaming chat. */
export function embeddings(deps: ApiDeps) {
  return async function embeddingsHandler(req: Request, res: Response): Promise<void> {
    const request = validateBody(embeddingRequestSchema, req.body) as EmbeddingRequest;
    const route = resolveModel(deps.config, request.model, 'embedding');
    res.locals.model = route.name;
    const key = res.locals.key as ClientKey;
    assertModelAllowed(key.policy, route.name);
    const plan = allowedPlan(key.policy, planRoute(deps.config, route));
    await answerDurably(deps, req, res, { key, route, plan, call: { kind: 'embeddings', clientRequest: request, request } });
  };
}
