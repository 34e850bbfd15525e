import type { Request, Response } from 'express';
import type { RouteAttempt } from '../config/route-plan';
import { REQUEST_FATAL_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { ChatCompletionChunk, ChatRequest } from '../providers/types';
import type { ApiDeps } from './deps';
import { upstreamErrorToHttp } from './failure-to-http';
import { HttpError } from './http-error';
import { recordUsage } from './routes/served';


/**
 * The streaming fast path: no Temporal on the way. Deployments are tried in plan order until
 * one yields its first chunk; from then on the client is committed to that stream. A failure
 * mid-stream becomes a final `data: {"error":…}` event and the stream ends cleanly (without `[DONE]`,
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
    const chunks = deps.providers
      .get(attempt.provider)
      .chatStream(opts.request, { upstreamModel: attempt.upstreamModel, signal: abort.signal, requestId: opts.requestId });
    const iterator = chunks[Symbol.asyncIterator]();
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
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-switchyard-provider': attempt.provider,
      'x-switchyard-model': attempt.model,
    });
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
  const out = new CorkedWriter(res);
  let next = first;
  try {
    while (!next.done) {
      const chunk = next.value;
      if (chunk.usage && chunk.choices.length === 0) {
        recordUsage(deps.metrics, opts.attempt, chunk.usage, 'chat');
        if (opts.includeUsage) out.write(`data: ${JSON.stringify(chunk)}\n\n`);
      } else {
        out.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      next = await iterator.next();
    }
    out.end('data: [DONE]\n\n');
  } catch (err) {
    if (opts.signal.aborted) {
      out.cancel();
      return;
    }
    const http = upstreamErrorToHttp(asUpstreamError(err, opts.attempt.provider));
    res.locals.errorType = http.code;
    out.end(`data: ${JSON.stringify(http.toBody())}\n\n`);
  }
}

/**
 * Writes SSE events to the response in batches: the socket is corked at the first write and
 * uncorked in `setImmediate`, i.e. once the upstream bytes already read have all been parsed
 * and written. Events that arrived together (typically a whole short answer from a fast
 * upstream, or a burst of tokens) then leave in one `writev` — or, when the stream also ends in
 * that turn, together with the end — instead of one syscall per event or per tick. Events that
 * arrive one by one still leave at once: the batch closes in the same event-loop turn.
 */
class CorkedWriter {
  private flushing: NodeJS.Immediate | undefined;

  constructor(private readonly res: Response) {}

  write(data: string): void {
    if (this.flushing === undefined) {
      this.res.cork();
      this.flushing = setImmediate(this.flush);
    }
    this.res.write(data);
  }

  /** Ends the response (which uncorks fully) and drops the pending flush. */
  end(data: string): void {
    this.cancel();
    this.res.end(data);
  }

  /** Drops the pending flush; after `end()` or a destroyed socket there is nothing to uncork. */
  cancel(): void {
    if (this.flushing !== undefined) clearImmediate(this.flushing);
    this.flushing = undefined;
  }

  private readonly flush = (): void => {
    this.flushing = undefined;
    this.res.uncork();
  };
}

function asUpstreamError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(message, { failureType: 'ProviderServerError', provider });
}
