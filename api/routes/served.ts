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

/** Token counts as the upstreams report them (OpenAI's usage shape). */
export type UsageLike = { prompt_tokens?: number; completion_tokens?: number } | undefined | null;

/** Token usage per request, after the OpenTelemetry GenAI conventions. */
export function recordUsage(metrics: GatewayMetrics, served: RouteAttempt, usage: UsageLike, operation: 'chat' | 'embeddings'): void {
  if (!usage) return;
  const labels = (type: 'input' | 'output') => ({
    gen_ai_token_type: type,
    gen_ai_request_model: served.model,
    gen_ai_provider_name: served.provider,
    gen_ai_operation_name: operation,
  });
  if (usage.prompt_tokens !== undefined) metrics.tokenUsage.observe(labels('input'), usage.prompt_tokens);
  if (operation === 'chat' && usage.completion_tokens !== undefined) metrics.tokenUsage.observe(labels('output'), usage.completion_tokens);
}

/** What a served request used and cost: the request log line's fields (`res.locals.served`). */
export interface ServedOutcome {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  /** Exact decimal USD; absent when unknown (a replay of a pre-budget workflow, a failed settlement). */
  readonly costUsd?: string;
  /** Deployments given up on before the one that answered. */
  readonly fallbacks: number;
  readonly path: 'durable' | 'stream';
}

/**
 * Records a served request's tokens and cost by tenant and its fallbacks in the metrics, and
 * keeps them on `res.locals.served` for the request log line.
 */
export function recordServed(
  metrics: GatewayMetrics,
  res: Response,
  opts: { served: RouteAttempt; tenantId: string; usage: UsageLike; costUsd: string | undefined; fallbacks: number; path: 'durable' | 'stream' },
): void {
  const outcome: ServedOutcome = {
    inputTokens: opts.usage?.prompt_tokens ?? undefined,
    outputTokens: opts.usage?.completion_tokens ?? undefined,
    costUsd: opts.costUsd,
    fallbacks: opts.fallbacks,
    path: opts.path,
  };
  res.locals.served = outcome;
  const model = opts.served.model;
  if (outcome.inputTokens) metrics.tenantTokens.inc({ gen_ai_token_type: 'input', gen_ai_request_model: model, tenant: opts.tenantId }, outcome.inputTokens);
  if (outcome.outputTokens) metrics.tenantTokens.inc({ gen_ai_token_type: 'output', gen_ai_request_model: model, tenant: opts.tenantId }, outcome.outputTokens);
  const cost = opts.costUsd === undefined ? 0 : Number(opts.costUsd);
  // Always touched, so a tenant's series exists (at 0) from its first request on.
  metrics.cost.inc({ gen_ai_request_model: model, gen_ai_provider_name: opts.served.provider, tenant: opts.tenantId }, Number.isFinite(cost) ? cost : 0);
  if (opts.fallbacks > 0) metrics.fallbacks.inc({ model: (res.locals.model as string | undefined) ?? model, path: opts.path }, opts.fallbacks);
}
