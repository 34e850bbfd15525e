import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiDeps } from './deps';
import { HttpError } from './http-error';
import { adminAuth } from './middleware/admin-auth';
import { clientAuth } from './middleware/client-auth';
import { CodecSessions } from './codec-session';
import { codecAuth } from './middleware/codec-auth';
import { codecCors } from './middleware/codec-cors';
import { errorHandler } from './middleware/error-handler';
import { httpMetrics } from './middleware/metrics';
import { rateLimit } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { listBudgetAlertsRoute, putAlertWebhookRoute } from './routes/admin-alerts';
import { getBodyLoggingRoute, listRequestBodiesRoute, putBodyLoggingRoute } from './routes/admin-body-logging';
import { requestLog } from './middleware/request-log';
import { createBudgetRoute, deleteBudgetRoute, getBudgetRoute, listBudgetsRoute, updateBudgetRoute } from './routes/admin-budgets';
import { auditRoute } from './routes/admin-audit';
import { createCredentialRoute, deleteCredentialRoute, getCredentialRoute, listCredentialsRoute, rotateCredentialRoute } from './routes/admin-credentials';
import { createKey, deleteKey, getKeyRoute, listKeysRoute, patchKeyRoute } from './routes/admin-keys';
import {
  cancelRotationRoute,
  finishRotationRoute,
  getRotationRoute,
  listRotationsRoute,
  revealRotationSecretRoute,
  rotateKeyRoute,
} from './routes/admin-rotations';
import { createTeamRoute, deleteTeamRoute, getTeamRoute, listTeamsRoute, patchTeamRoute } from './routes/admin-teams';
import { createTenantRoute, deleteTenantRoute, getTenantRoute, listTenantsRoute, patchTenantRoute } from './routes/admin-tenants';
import { listPricesRoute, putPriceRoute } from './routes/admin-prices';
import { usageReportRoute } from './routes/admin-usage';
import { deleteRateLimitRoute, getRateLimitRoute, putRateLimitRoute } from './routes/admin-rate-limits';
import { listCircuitsRoute, openCircuitRoute, resetCircuitRoute } from './routes/admin-circuits';
import { cancelBatchRoute, createBatchRoute, getBatchRoute, listBatchesRoute } from './routes/batches';
import { chatCompletions } from './routes/chat-completions';
import { CODEC_BODY_LIMIT_BYTES, codecRoute } from './routes/codec';
import { codecSessionForm, createCodecSession } from './routes/codec-session';
import { embeddings } from './routes/embeddings';
import { deleteFileRoute, fileContentRoute, getFileRoute, listFilesRoute, uploadFileRoute } from './routes/files';
import { healthz, readyz } from './routes/health';
import { listModels } from './routes/models';
import { jsonBody } from './middleware/json-body';

/** The Express application: request id, metrics, auth, routes, and one error mapper. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  if (deps.drain) app.use(deps.drain.middleware());
  app.use(requestLog(deps));
  app.use(httpMetrics(deps.metrics));

  const json = jsonBody(deps.config.maxBodyBytes);
  const client = clientAuth(deps.keys);
  const admin = adminAuth(deps.adminToken);
  // After auth and body parsing: limits are per key and tenant, and tokens are counted from the body.
  const limited = rateLimit(deps.rateLimiter);

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

  route('post', '/v1/chat/completions', client, json, limited, chatCompletions(deps));
  route('post', '/v1/embeddings', client, json, limited, embeddings(deps));
  route('get', '/v1/models', client, listModels(deps));
  // Multipart, streamed: no JSON body parser.
  route('post', '/v1/files', client, uploadFileRoute(deps));
  route('get', '/v1/files', client, listFilesRoute(deps));
  route('get', '/v1/files/:id', client, getFileRoute(deps));
  route('get', '/v1/files/:id/content', client, fileContentRoute(deps));
  route('delete', '/v1/files/:id', client, deleteFileRoute(deps));
  route('post', '/v1/batches', client, json, createBatchRoute(deps));
  route('get', '/v1/batches', client, listBatchesRoute(deps));
  route('get', '/v1/batches/:id', client, getBatchRoute(deps));
  route('post', '/v1/batches/:id/cancel', client, cancelBatchRoute(deps));

  route('post', '/admin/tenants', admin, json, createTenantRoute(deps));
  route('get', '/admin/tenants', admin, listTenantsRoute(deps));
  route('get', '/admin/tenants/:id', admin, getTenantRoute(deps));
  route('patch', '/admin/tenants/:id', admin, json, patchTenantRoute(deps));
  route('delete', '/admin/tenants/:id', admin, deleteTenantRoute(deps));
  route('post', '/admin/teams', admin, json, createTeamRoute(deps));
  route('get', '/admin/teams', admin, listTeamsRoute(deps));
  route('get', '/admin/teams/:id', admin, getTeamRoute(deps));
  route('patch', '/admin/teams/:id', admin, json, patchTeamRoute(deps));
  route('delete', '/admin/teams/:id', admin, deleteTeamRoute(deps));
  route('post', '/admin/keys', admin, json, createKey(deps));
  route('get', '/admin/keys', admin, listKeysRoute(deps));
  route('get', '/admin/keys/:id', admin, getKeyRoute(deps));
  route('patch', '/admin/keys/:id', admin, json, patchKeyRoute(deps));
  route('delete', '/admin/keys/:id', admin, deleteKey(deps));
  route('post', '/admin/keys/:id/rotate', admin, json, rotateKeyRoute(deps));
  route('get', '/admin/rotations', admin, listRotationsRoute(deps));
  route('get', '/admin/rotations/:id', admin, getRotationRoute(deps));
  route('post', '/admin/rotations/:id/cancel', admin, cancelRotationRoute(deps));
  route('post', '/admin/rotations/:id/finish', admin, finishRotationRoute(deps));
  route('get', '/admin/rotations/:id/secret', admin, revealRotationSecretRoute(deps));
  route('post', '/admin/credentials', admin, json, createCredentialRoute(deps));
  route('get', '/admin/credentials', admin, listCredentialsRoute(deps));
  route('get', '/admin/credentials/:id', admin, getCredentialRoute(deps));
  route('delete', '/admin/credentials/:id', admin, deleteCredentialRoute(deps));
  route('post', '/admin/credentials/:id/rotate', admin, json, rotateCredentialRoute(deps));
  route('get', '/admin/audit', admin, auditRoute(deps));
  route('post', '/admin/budgets', admin, json, createBudgetRoute(deps));
  route('get', '/admin/budgets', admin, listBudgetsRoute(deps));
  route('get', '/admin/budgets/:id', admin, getBudgetRoute(deps));
  route('patch', '/admin/budgets/:id', admin, json, updateBudgetRoute(deps));
  route('delete', '/admin/budgets/:id', admin, deleteBudgetRoute(deps));
  route('get', '/admin/prices', admin, listPricesRoute(deps));
  route('put', '/admin/prices/:model', admin, json, putPriceRoute(deps));
  route('put', '/admin/tenants/:id/alert-webhook', admin, json, putAlertWebhookRoute(deps));
  route('get', '/admin/budget-alerts', admin, listBudgetAlertsRoute(deps));
  route('get', '/admin/usage', admin, usageReportRoute(deps));
  route('put', '/admin/rate-limits/:scope/:scope_id', admin, json, putRateLimitRoute(deps));
  route('get', '/admin/rate-limits/:scope/:scope_id', admin, getRateLimitRoute(deps));
  route('delete', '/admin/rate-limits/:scope/:scope_id', admin, deleteRateLimitRoute(deps));
  route('put', '/admin/tenants/:id/body-logging', admin, json, putBodyLoggingRoute(deps));
  route('get', '/admin/tenants/:id/body-logging', admin, getBodyLoggingRoute(deps));
  route('get', '/admin/tenants/:id/request-bodies', admin, listRequestBodiesRoute(deps));

  // The Temporal UI's remote codec server: CORS (and its preflight) before the admin check, so a
  // browser can read the 401 too. The UI cannot send the admin token: a browser signs in once at
  // /codec/session and sends the session cookie instead.
  const cors = codecCors(deps.codecCorsOrigins);
  const sessions = deps.adminToken ? new CodecSessions(deps.adminToken) : undefined;
  const codecAdmin = codecAuth(deps.adminToken, sessions);
  const codecJson = express.json({ limit: CODEC_BODY_LIMIT_BYTES, type: () => true });
  for (const direction of ['decode', 'encode'] as const) {
    app.options(`/codec/${direction}`, labelRoute(`/codec/${direction}`), cors);
    route('post', `/codec/${direction}`, cors, codecAdmin, codecJson, codecRoute(deps.historyCodec, direction));
  }
  route('get', '/codec/session', codecSessionForm());
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  route('post', '/codec/session', form, createCodecSession(sessions, deps.historyCodec !== undefined));
  route('get', '/admin/circuits', admin, listCircuitsRoute(deps));
  route('post', '/admin/circuits/:deployment/open', admin, json, openCircuitRoute(deps));
  route('post', '/admin/circuits/:deployment/reset', admin, resetCircuitRoute(deps));

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
