import type { GatewayConfig, ModelRoute } from '../config/gateway-config';
import { HttpError } from './http-error';

/** The configured route for a requested model name, or a 404/400 in OpenAI's words. */
export function resolveModel(config: GatewayConfig, model: string, type: ModelRoute['type']): ModelRoute {
  const route = config.models.get(model);
  if (!route) {
    throw new HttpError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
      param: 'model',
      code: 'model_not_found',
    });
  }
  if (route.type !== type) {
    throw new HttpError(400, `The model \`${model}\` is ${route.type === 'chat' ? 'a chat' : 'an embedding'} model and cannot be used here.`, {
      param: 'model',
      code: 'model_not_supported',
    });
  }
  return route;
}

/** Longest per-attempt timeout among the providers a plan uses, plus a margin for the activity. */
export function attemptTimeoutMs(config: GatewayConfig, providers: Iterable<string>): number {
  let max = 0;
  for (const id of providers) max = Math.max(max, config.providers.get(id)?.timeoutMs ?? 60_000);
  return max + 5_000;
}
