import type { NextFunction, Request, Response } from 'express';
import type { GatewayMetrics } from '../../observability/metrics';

/**
 * Counts and times every response once it finishes (or the client goes away). Labels come
 * from `res.locals` set by the route: a route template, a configured model, a provider id.
 */
export function httpMetrics(metrics: GatewayMetrics) {
  return function httpMetricsMiddleware(_req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    res.once('close', () => {
      const labels = {
        route: (res.locals.route as string | undefined) ?? 'other',
        model: (res.locals.model as string | undefined) ?? 'none',
        provider: (res.locals.provider as string | undefined) ?? 'none',
        status: String(res.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
      const errorType = res.locals.errorType as string | undefined;
      if (errorType || res.statusCode >= 400) metrics.errors.inc({ ...labels, type: errorType ?? 'unknown' });
      if (errorType === 'budget_exceeded') metrics.budgetRejections.inc({ route: labels.route, model: labels.model });
      if (errorType === 'rate_limit_exceeded') {
        const by = res.locals.rateLimitedBy as { scope: string; measure: string } | undefined;
        metrics.rateLimitRejections.inc({ route: labels.route, scope: by?.scope ?? 'unknown', measure: by?.measure ?? 'unknown' });
      }
      if (labels.route === '/v1/chat/completions' || labels.route === '/v1/embeddings') {
        metrics.operationDuration.observe(
          {
            gen_ai_operation_name: labels.route === '/v1/embeddings' ? 'embeddings' : 'chat',
            gen_ai_request_model: labels.model,
            gen_ai_provider_name: labels.provider,
          },
          (performance.now() - started) / 1000,
        );
      }
    });
    next();
  };
}
