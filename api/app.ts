import express, { type Express, type Request, type Response } from 'express';
import type { ApiDeps } from './deps';
import { HttpError } from './http-error';
import { adminAuth } from './middleware/admin-auth';
import { clientAuth } from './middleware/client-auth';
import { errorHandler } from './middleware/error-handler';
import { httpMetrics } from './middleware/metrics';
import { requestId } from './middleware/request-id';
import { createKey, deleteKey } from './routes/admin-keys';
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

  app.get('/healthz', healthz());
  app.get('/readyz', readyz(deps));
  app.get('/metrics', async function metricsHandler(_req: Request, res: Response) {
    res.locals.route = '/metrics';
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  app.post('/v1/chat/completions', client, json, chatCompletions(deps));
  app.post('/v1/embeddings', client, json, embeddings(deps));
  app.get('/v1/models', client, listModels(deps));

  app.post('/admin/keys', admin, json, createKey(deps));
  app.delete('/admin/keys/:id', admin, deleteKey(deps));

  app.use(function notFound(req: Request) {
    throw new HttpError(404, `Unknown request URL: ${req.method} ${req.path}.`, { code: 'unknown_url' });
  });
  app.use(errorHandler(deps.logger));
  return app;
}
