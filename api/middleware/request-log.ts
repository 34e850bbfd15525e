import type { NextFunction, Request, Response } from 'express';
import { insertLoggedBody } from '../../db/request-bodies';
import type { KeyRecord } from '../../db/keys';
import type { ApiDeps } from '../deps';
import type { ServedOutcome } from '../routes/served';

/** Routes whose bodies a tenant may opt in to storing. */
const BODY_ROUTES: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/embeddings']);
/** Routes polled by probes and scrapers: logged at debug, not info. */
const PROBE_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
/** Most bytes of a request or response body stored; a longer one is cut and marked `truncated`. */
export const MAX_LOGGED_BODY_BYTES = 256 * 1024;

/**
 * One JSON log line per request once its response closes: request id, route, status, latency,
 * tenant, key id, model, provider, tokens, cost, fallbacks and error type. Never headers or
 * bodies: the line cannot carry a key or a prompt.
 *
 * For tenants that opted in (`deps.bodyLogging`), the request and response bodies of chat and
 * embeddings calls are stored in Postgres (`request_bodies`) with the tenant's retention, after
 * the response (fire-and-forget: a failed write is logged and never affects the answer).
 */
export function requestLog(deps: Pick<ApiDeps, 'logger' | 'pool' | 'bodyLogging'>) {
  return function requestLogMiddleware(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    const capture = deps.bodyLogging && req.method === 'POST' && BODY_ROUTES.has(req.path) ? new ResponseCapture(res, deps) : undefined;
    res.once('close', () => {
      const route = (res.locals.route as string | undefined) ?? 'other';
      const key = res.locals.key as KeyRecord | undefined;
      const level = PROBE_ROUTES.has(route) ? 'debug' : res.statusCode >= 500 ? 'warn' : 'info';
      // Skipped outright (no object built) when the level is off, e.g. LOG_LEVEL=warn in the benchmark.
      if (deps.logger.isLevelEnabled(level)) {
        const served = res.locals.served as ServedOutcome | undefined;
        const line = {
          requestId: res.locals.requestId as string | undefined,
          method: req.method,
          route,
          status: res.statusCode,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
          tenantId: key?.tenantId,
          keyId: key?.id,
          actor: res.locals.adminActor as string | undefined,
          model: res.locals.model as string | undefined,
          provider: res.locals.provider as string | undefined,
          path: served?.path,
          inputTokens: served?.inputTokens,
          outputTokens: served?.outputTokens,
          costUsd: served?.costUsd,
          fallbacks: served?.fallbacks,
          errorType: res.locals.errorType as string | undefined,
          completed: res.writableFinished,
        };
        deps.logger[level](line, 'request');
      }
      if (capture && key) capture.store(req, key, route);
    });
    next();
  };
}

/**
 * Copies what a response writes, up to `MAX_LOGGED_BODY_BYTES`, while its tenant's rule is on
 * (or not cached yet: the rule is read for certain after the response, and the copy dropped
 * when it is off).
 */
class ResponseCapture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private truncated = false;
  private wanted: boolean | undefined;

  constructor(
    private readonly res: Response,
    private readonly deps: Pick<ApiDeps, 'logger' | 'pool' | 'bodyLogging'>,
  ) {
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      this.collect(chunk);
      return write(chunk, ...rest);
    }) as Response['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'function') this.collect(chunk);
      return end(chunk, ...rest);
    }) as Response['end'];
  }

  private collect(chunk: unknown): void {
    if (chunk === undefined || chunk === null) return;
    if (this.wanted === undefined) {
      const key = this.res.locals.key as KeyRecord | undefined;
      this.wanted = key !== undefined && (this.deps.bodyLogging?.peek(key.tenantId)?.enabled ?? true);
    }
    if (!this.wanted || this.truncated) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk instanceof Uint8Array ? Buffer.from(chunk) : undefined;
    if (!buf) return;
    const room = MAX_LOGGED_BODY_BYTES - this.bytes;
    if (buf.length > room) {
      this.chunks.push(buf.subarray(0, room));
      this.bytes += room;
      this.truncated = true;
      return;
    }
    this.chunks.push(buf);
    this.bytes += buf.length;
  }

  /** Stores the bodies if the tenant's rule is on; errors are logged without any body content. */
  store(req: Request, key: KeyRecord, route: string): void {
    const settings = this.deps.bodyLogging;
    if (!settings || this.wanted === false) return;
    const requestId = this.res.locals.requestId as string;
    const status = this.res.statusCode;
    const model = (this.res.locals.model as string | undefined) ?? null;
    void (async () => {
      const rule = await settings.get(key.tenantId);
      if (!rule.enabled) return;
      const requestJson = req.body === undefined ? undefined : JSON.stringify(req.body);
      const requestFits = requestJson !== undefined && Buffer.byteLength(requestJson) <= MAX_LOGGED_BODY_BYTES;
      await insertLoggedBody(this.deps.pool, {
        requestId,
        tenantId: key.tenantId,
        keyId: key.id,
        route,
        model,
        status,
        requestBody: requestFits ? (req.body as unknown) : undefined,
        responseBody: this.chunks.length ? Buffer.concat(this.chunks).toString('utf8') : null,
        truncated: this.truncated || (requestJson !== undefined && !requestFits),
        retentionDays: rule.retentionDays,
      });
    })().catch((err: unknown) => {
      this.deps.logger.warn({ requestId, tenantId: key.tenantId, err: err instanceof Error ? err.message : String(err) }, 'storing a logged body failed');
    });
  }
}
