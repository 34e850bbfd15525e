import type { Request, Response } from 'express';
import type { RouteAttempt } from '../config/route-plan';
import { REQUEST_FATAL_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { ChatCompletionChunk, ChatRequest } from '../providers/types';
import type { ApiDeps } from './deps';
import { upstreamErrorToHttp } from './failure-to-http';
import { HttpError } from './http-error';
import { recordUsage } from './routes/served';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * The streaming fast path: no Temporal on the way. Deployments are tried in plan order until
 * one yields its first chunk; from then on the client is committed to that stream. A failure
 * mid-stream becomes an SSE `error` event and the stream ends cleanly (without `[DONE]`,
 * so a client can tell it apart from a complete answer). A client that disconnects aborts the
 * upstream request through the shared AbortController.
 */
export async function streamChat(
  deps: ApiDeps,
  req: Request,
  res: Response,
  opts: { request: ChatRequest; plan: readonly RouteAttempt[]; requestId: string },
): Promise<void> {
  const started = performance.now();
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const includeUsage = opts.request.stream_options?.include_usage === true;
  let lastError: UpstreamError | undefined;

  for (const attempt of opts.plan) {
    if (abort.signal.aborted) return;
    const iterator = deps.providers
      .get(attempt.provider)
      .chatStream(opts.request, { upstreamModel: attempt.upstreamModel, signal: abort.signal, requestId: opts.requestId })
      [Symbol.asyncIterator]();
    let first: IteratorResult<ChatCompletionChunk>;
    try {
      first = await iterator.next();
    } catch (err) {
      if (abort.signal.aborted) return;
      lastError = asUpstreamError(err, attempt.provider);
      deps.metrics.upstreamAttempts.inc({ provider: attempt.provider, model: attempt.model, outcome: lastError.failureType });
      if (REQUEST_FATAL_FAILURE_TYPES.includes(lastError.failureType)) break;
      continue;
    }
    deps.metrics.upstreamAttempts.inc({ provider: attempt.provider, model: attempt.model, outcome: 'success' });
    res.locals.provider = attempt.provider;
    res.writeHead(200, { ...SSE_HEADERS, 'x-switchyard-provider': attempt.provider, 'x-switchyard-model': attempt.model });
    deps.metrics.timeToFirstToken.observe({ model: attempt.model, provider: attempt.provider }, (performance.now() - started) / 1000);
    await pipeChunks(deps, res, iterator, first, { includeUsage, attempt, signal: abort.signal });
    return;
  }
  throw lastError ? upstreamErrorToHttp(lastError) : new HttpError(502, 'no deployment could serve the request', { type: 'api_error', code: 'upstream_error' });
}

async function pipeChunks(
  deps: ApiDeps,
  res: Response,
  iterator: AsyncIterator<ChatCompletionChunk>,
  first: IteratorResult<ChatCompletionChunk>,
  opts: { includeUsage: boolean; attempt: RouteAttempt; signal: AbortSignal },
): Promise<void> {
  let next = first;
  try {
    while (!next.done) {
      const chunk = next.value;
      if (chunk.usage && chunk.choices.length === 0) {
        recordUsage(deps.metrics, opts.attempt, chunk.usage, 'chat');
        if (opts.includeUsage) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      } else {
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      next = await iterator.next();
    }
    res.end('data: [DONE]\n\n');
  } catch (err) {
    if (opts.signal.aborted) return;
    const http = upstreamErrorToHttp(asUpstreamError(err, opts.attempt.provider));
    res.locals.errorType = http.code;
    res.end(`data: ${JSON.stringify(http.toBody())}\n\n`);
  }
}

function asUpstreamError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(message, { failureType: 'ProviderServerError', provider });
}
