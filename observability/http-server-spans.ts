import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';

/** The gateway's request id (`x-request-id`), to go from a trace to logs and to the workflow `chat-<id>`. */
export const ATTR_SWITCHYARD_REQUEST_ID = 'switchyard.request_id';

/**
 * Replaces the server's `request` listeners with ones that run each request inside a SERVER
 * span. The span continues the trace of an incoming W3C `traceparent` header (a client's own
 * trace), or starts a new one. Its name is `METHOD route` once Express has matched a route
 * (`POST /v1/chat/completions`, `GET /admin/keys/:id`), else just the method, so names stay few.
 *
 * Only method, path, route, status, user agent and request id are recorded: no headers (they
 * hold keys), no bodies (they hold prompts), no query strings.
 */
export function instrumentHttpServer(server: Server, tracer: Tracer): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  for (const listener of listeners) server.on('request', traced(listener, tracer));
}

function traced(listener: RequestListener, tracer: Tracer): RequestListener {
  return function tracedRequest(req: IncomingMessage, res: ServerResponse): void {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_URL_PATH]: (req.url ?? '/').split('?', 1)[0],
          [ATTR_URL_SCHEME]: 'http',
          ...(req.headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // Body chunks and `finish` arrive through the socket's callbacks, outside this call: binding
    // the emitters makes their listeners (body parsing, then every handler after it) run in the span.
    context.bind(active, req);
    context.bind(active, res);
    res.once('close', () => endSpan(span, req, res));
    context.with(active, () => listener(req, res));
  };
}

function endSpan(span: ReturnType<Tracer['startSpan']>, req: IncomingMessage, res: ServerResponse): void {
  const route = routeOf(req);
  if (route) {
    span.updateName(`${req.method ?? 'GET'} ${route}`);
    span.setAttribute(ATTR_HTTP_ROUTE, route);
  }
  const requestId = res.getHeader('x-request-id');
  if (typeof requestId === 'string') span.setAttribute(ATTR_SWITCHYARD_REQUEST_ID, requestId);
  if (res.headersSent) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
  if (!res.writableFinished) {
    span.setAttribute(ATTR_ERROR_TYPE, 'client_disconnected');
  } else if (res.statusCode >= 500) {
    // Server spans mark only 5xx as errors: a 4xx is the client's mistake, answered correctly.
    span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Express sets `req.route` (and `req.baseUrl` under a router) when a route matched. */
function routeOf(req: IncomingMessage): string | undefined {
  const matched = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const path = matched.route?.path;
  return typeof path === 'string' ? `${matched.baseUrl ?? ''}${path}` : undefined;
}
