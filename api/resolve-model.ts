import type { GatewayConfig, ModelRoute } from '../config/gateway-config';
import type { RouteAttempt } from '../config/route-plan';
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

/**
 * Longest bound of one attempt among a plan's deployments, plus a margin for the activity: a
 * deployment's own timeouts (the shorter of `total_ms` and `first_byte_ms`, which bounds a
 * non-streaming answer) where set, else its provider's `timeout_ms`.
 */
export function planAttemptTimeoutMs(config: GatewayConfig, plan: readonly RouteAttempt[]): number {
  let max = 0;
  for (const a of plan) {
    const firstByte = a.timeouts?.firstByteMs ?? config.providers.get(a.provider)?.timeoutMs ?? 60_000;
    max = Math.max(max, Math.min(firstByte, a.timeouts?.totalMs ?? Infinity));
  }
  return max + 5_000;
}
