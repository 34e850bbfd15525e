import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiDeps } from './deps';
import { HttpError } from './http-error';
import { adminAuth } from './middleware/admin-auth';
import { clientAuth } from './middleware/client-auth';
import { errorHandler } from './middleware/error-handler';
import { httpMetrics } from './middleware/metrics';
import { requestId } from './middleware/request-id';
import { createBudgetRoute, deleteBudgetRoute, getBudgetRoute, listBudgetsRoute, updateBudgetRoute } from './routes/admin-budgets';
import { createKey, deleteKey } from './routes/admin-keys';
import { listPricesRoute, putPriceRoute } from './routes/admin-prices';
import { chatCompletions } from './routes/chat-completions';
import { embeddings } from './routes/embeddings';
import { healthz, readyz } from './routes/health';
import { listModels } from './routes/models';

/** The Express application: request id, metrics, auth, routes, and one error mapper. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  app.use(httpMetrics(deps.metrics));

  // Any content type is read as JSON: some clients omit the header; a body that is not JSON
  // is then a clean 400, and one over the limit a 413.
  const json = express.json({ limit: deps.config.maxBodyBytes, type: () => true, strict: false });
  const client = clientAuth(deps.keys);
  const admin = adminAuth(deps.adminToken);

  // Each route is labelled for the metrics before anything else runs, so a 401 or a 400 for
  // bad JSON is counted under its route, not under "other".
  const route = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, ...handlers: RequestHandler[]): void => {
    app[method](path, labelRoute(path), ...handlers);
  };
  route('get', '/healthz', healthz());
  route('get', '/readyz', readyz(deps));
  route('get', '/metrics', async function metricsHandler(_req: Request, res: Response) {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  route('post', '/v1/chat/completions', client, json, chatCompletions(deps));
  route('post', '/v1/embeddings', client, json, embeddings(deps));
  route('get', '/v1/models', client, listModels(deps));

  route('post', '/admin/keys', admin, json, createKey(deps));
  route('delete', '/admin/keys/:id', admin, deleteKey(deps));
  route('post', '/admin/budgets', admin, json, createBudgetRoute(deps));
  route('get', '/admin/budgets', admin, listBudgetsRoute(deps));
  route('get', '/admin/budgets/:id', admin, getBudgetRoute(deps));
  route('patch', '/admin/budgets/:id', admin, json, updateBudgetRoute(deps));
  route('delete', '/admin/budgets/:id', admin, deleteBudgetRoute(deps));
  route('get', '/admin/prices', admin, listPricesRoute(deps));
  route('put', '/admin/prices/:model', admin, json, putPriceRoute(deps));

  app.use(function notFound(req: Request) {
    throw new HttpError(404, `Unknown request URL: ${req.method} ${req.path}.`, { code: 'unknown_url' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}

function labelRoute(path: string): RequestHandler {
  return function routeLabel(_req: Request, res: Response, next: NextFunction): void {
    res.locals.route = path;
    next();
  };
}
