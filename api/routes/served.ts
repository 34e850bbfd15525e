import type { Response } from 'express';
import type { RouteAttempt } from '../../config/route-plan';
import type { GatewayMetrics } from '../../observability/metrics';
import type { CallResult } from '../../workflows/types';

/** Response header carrying what the request was charged, exact decimal USD. */
export const COST_HEADER = 'x-switchyard-cost-usd';

/**
 * Tells the client (and the metrics middleware) which deployment answered and what it cost.
 * A result without `costUsd` (an idempotent replay of a workflow that ran before budgets
 * existed) gets no cost header rather than a wrong one.
 */
export function setServedHeaders<T>(res: Response, result: CallResult<T> & { readonly costUsd?: string }): void {
  if (result.costUsd !== undefined) res.setHeader(COST_HEADER, result.costUsd);
  res.locals.provider = result.served.provider;
  res.setHeader('x-switchyard-provider', result.served.provider);
  res.setHeader('x-switchyard-model', result.served.model);
  res.setHeader('x-switchyard-fallbacks', String(result.fallbacks));
}

/** Token usage per request, after the OpenTelemetry GenAI conventions. */
export function recordUsage(
  metrics: GatewayMetrics,
  served: RouteAttempt,
  usage: { prompt_tokens?: number; completion_tokens?: number } | undefined | null,
  operation: 'chat' | 'embeddings',
): void {
  if (!usage) return;
  const labels = (type: 'input' | 'output') => ({ gen_ai_token_type: type, gen_ai_request_model: served.model, gen_ai_provider_name: served.provider });
  if (usage.prompt_tokens !== undefined) metrics.tokenUsage.observe(labels('input'), usage.prompt_tokens);
  if (operation === 'chat' && usage.completion_tokens !== undefined) metrics.tokenUsage.observe(labels('output'), usage.completion_tokens);
}
