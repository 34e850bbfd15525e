import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import type { RouteAttempt } from '../config/route-plan';
import { CallOutcome, outcomeOfFailureBefore } from '../circuit/outcome';
import { deploymentId } from '../config/route-plan';
import { FailureType, REQUEST_FATAL_FAILURE_TYPES } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import { chunkJson } from '../providers/chunk-json';
import type { ChatCompletionChunk, ChatRequest } from '../providers/types';
import type { Caller } from '../workflows/types';
import type { ApiDeps } from './deps';
import { upstreamErrorToHttp } from './failure-to-http';
import { HttpError } from './http-error';
import { DRAIN_DEADLINE_REASON, shuttingDown } from './drain';
import { recordServed, recordUsage } from './routes/served';
import { releaseStream, reserveForStream, settleStream, type StreamReservation } from './stream-budget';

/** How a piped stream ended, for the usage record. */
interface StreamOutcome {
  readonly status: 'ok' | 'error' | 'client_disconnected' | 'shutdown';
  /** The upstream's final usage chunk, when it sent one. */
  readonly usage: ChatCompletionChunk['usage'] | undefined;
  /** Text and tool-call arguments streamed so far: what is counted as output without usage. */
  readonly streamedText: string;
}

/** The cost trailer: a stream's headers leave before its cost is known. */
const COST_TRAILER = 'x-switchyard-cost-usd';

/**
 * The streaming fast path: no Temporal on the way. The request's estimate is held against the
 * caller's budgets first (a refusal is a JSON 429 and nothing goes upstream); then deployments
 * are tried in plan order until one yields its first chunk, and from then on the client is
 * committed to that stream. A failure mid-stream becomes a final `data: {"error":…}` event and
 * the stream ends cleanly (without `[DONE]`, so a client can tell it apart from a complete
 * answer). A client that disconnects aborts the upstream request through the shared
 * AbortController. Whatever happens after the hold, exactly one of settle (a deployment
 * answered, even partly: charged from its usage, or from the streamed text) or release (none
 * did) follows; a process that dies in between leaves the hold to the sweeper Schedule. The
 * charged cost goes out as the `x-switchyard-cost-usd` HTTP trailer after `[DONE]`. At a
 * graceful shutdown's drain deadline a stream still running ends with a final error event
 * (`server_shutting_down`) and is settled from what was streamed.
 */
export async function streamChat(
  deps: ApiDeps,
  req: Request,
  res: Response,
  opts: { request: ChatRequest; plan: readonly RouteAttempt[]; requestId: string; caller: Caller; budgeted?: boolean; deadlineAt?: number },
): Promise<void> {
  const reservation = await reserveForStream(deps, {
    requestId: opts.requestId,
    caller: opts.caller,
    plan: opts.plan,
    request: opts.request,
    ttlMs: deps.config.streamHoldMs,
    budgeted: opts.budgeted,
  });
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  // At the drain deadline the upstream call is aborted like a disconnect, but the client is
  // still there: it gets a final error event (or a 503 before the first chunk).
  const deadline = deps.drain?.deadline;
  const onDeadline = (): void => abort.abort(DRAIN_DEADLINE_REASON);
  deadline?.addEventListener('abort', onDeadline, { once: true });
  try {
    await serveStream(deps, res, abort, reservation, opts);
  } finally {
    deadline?.removeEventListener('abort', onDeadline);
  }
}

async function serveStream(
  deps: ApiDeps,
  res: Response,
  abort: AbortController,
  reservation: StreamReservation,
  opts: { request: ChatRequest; plan: readonly RouteAttempt[]; requestId: string; caller: Caller; deadlineAt?: number },
): Promise<void> {
  const started = reservation.startedAt;
  const includeUsage = opts.request.stream_options?.include_usage === true;
  let lastError: UpstreamError | undefined;

  for (const [index, attempt] of opts.plan.entries()) {
    if (abort.signal.aborted) break;
    const id = deploymentId(attempt.provider, attempt.upstreamModel);
    const leftMs = opts.deadlineAt === undefined ? undefined : opts.deadlineAt - Date.now();
    if (leftMs !== undefined && leftMs <= 0) {
      lastError = new UpstreamError('the request did not stream within its x-switchyard-timeout-ms deadline', { failureType: FailureType.RequestTimeout });
      break;
    }
    const permit = deps.circuits?.acquire(id) ?? ALLOWED;
    if (permit.kind === 'deny') {
      lastError = new UpstreamError(`the circuit breaker of ${id} is open`, {
        failureType: FailureType.CircuitOpen,
        provider: attempt.provider,
        retryAfterMs: permit.retryAfterMs,
      });
      deps.metrics.upstreamAttempts.inc({ provider: attempt.provider, model: attempt.model, outcome: FailureType.CircuitOpen });
      continue;
    }
    const callStarted = performance.now();
    const done = deps.deploymentStats?.begin(id);
    const adapter = deps.providers.get(attempt.provider);
    // The client's deadline bounds the wait for the first chunk; once streaming, the stream runs on.
    const firstByteMs = attempt.timeouts?.firstByteMs ?? adapter.settings.timeoutMs;
    const chunks = adapter.chatStream(opts.request, {
      upstreamModel: attempt.upstreamModel,
      signal: abort.signal,
      requestId: opts.requestId,
      firstByteTimeoutMs: leftMs === undefined ? firstByteMs : Math.min(firstByteMs, leftMs),
      totalTimeoutMs: attempt.timeouts?.totalMs,
    });
    const iterator = chunks[Symbol.asyncIterator]();
    let first: IteratorResult<ChatCompletionChunk>;
    try {
      first = await iterator.next();
    } catch (err) {
      done?.();
      if (abort.signal.aborted) {
        deps.circuits?.release(id, permit, CallOutcome.Neutral);
        break;
      }
      lastError = asUpstreamError(err, attempt.provider);
      deps.circuits?.release(id, permit, outcomeOfFailureBefore(lastError.failureType, deps.circuits.settingsFor(id), opts.deadlineAt));
      deps.metrics.upstreamAttempts.inc({ provider: attempt.provider, model: attempt.model, outcome: lastError.failureType });
      if (leftMs !== undefined && lastError.failureType === FailureType.ProviderTimeout && Date.now() >= opts.deadlineAt!) {
        lastError = new UpstreamError('the request did not stream within its x-switchyard-timeout-ms deadline', { failureType: FailureType.RequestTimeout });
        break;
      }
      if (REQUEST_FATAL_FAILURE_TYPES.includes(lastError.failureType)) break;
      continue;
    }
    // The upstream answered: that is the circuit's success, whatever happens to the stream later.
    deps.circuits?.release(id, permit, CallOutcome.Success);
    deps.deploymentStats?.observeLatency(id, performance.now() - callStarted);
    deps.metrics.upstreamAttempts.inc({ provider: attempt.provider, model: attempt.model, outcome: 'success' });
    res.locals.provider = attempt.provider;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-switchyard-provider': attempt.provider,
      'x-switchyard-model': attempt.model,
      trailer: COST_TRAILER,
    });
    deps.metrics.timeToFirstToken.observe(
      { gen_ai_operation_name: 'chat', gen_ai_request_model: attempt.model, gen_ai_provider_name: attempt.provider },
      (performance.now() - started) / 1000,
    );
    const out = new CorkedWriter(res);
    const outcome = await pipeChunks(deps, res, out, iterator, first, { includeUsage, attempt, signal: abort.signal }).finally(done);
    const charged = await settleWithRetries(deps, reservation, { served: attempt, ...outcome });
    recordServed(deps.metrics, res, {
      served: attempt,
      tenantId: opts.caller.tenantId,
      usage: outcome.usage ?? undefined,
      costUsd: charged?.costUsd,
      fallbacks: index,
      path: 'stream',
    });
    if (outcome.status === 'client_disconnected') {
      out.cancel();
      return;
    }
    if (charged) res.addTrailers({ [COST_TRAILER]: charged.costUsd });
    out.end();
    return;
  }
  await releaseStream(deps, reservation).catch((err: unknown) => {
    deps.logger.error({ requestId: opts.requestId, err: messageOf(err) }, 'releasing a stream hold failed; the sweeper will release it');
  });
  if (abort.signal.reason === DRAIN_DEADLINE_REASON) throw shuttingDown();
  if (abort.signal.aborted) return;
  throw lastError ? upstreamErrorToHttp(lastError) : new HttpError(502, 'no deployment could serve the request', { type: 'api_error', code: 'upstream_error' });
}

/** Writes every chunk; leaves the response open for the cost trailer. */
async function pipeChunks(
  deps: ApiDeps,
  res: Response,
  out: CorkedWriter,
  iterator: AsyncIterator<ChatCompletionChunk>,
  first: IteratorResult<ChatCompletionChunk>,
  opts: { includeUsage: boolean; attempt: RouteAttempt; signal: AbortSignal },
): Promise<StreamOutcome> {
  let usage: ChatCompletionChunk['usage'] | undefined;
  let streamedText = '';
  let next = first;
  try {
    while (!next.done) {
      const chunk = next.value;
      if (chunk.usage && chunk.choices.length === 0) {
        usage = chunk.usage;
        recordUsage(deps.metrics, opts.attempt, chunk.usage, 'chat');
        if (opts.includeUsage) out.write(`data: ${chunkJson(chunk)}\n\n`);
      } else {
        streamedText += deltaText(chunk);
        out.write(`data: ${chunkJson(chunk)}\n\n`);
      }
      next = await iterator.next();
    }
    out.write('data: [DONE]\n\n');
    return { status: 'ok', usage, streamedText };
  } catch (err) {
    if (opts.signal.reason === DRAIN_DEADLINE_REASON) {
      const http = shuttingDown();
      res.locals.errorType = http.code;
      out.write(`data: ${JSON.stringify(http.toBody())}\n\n`);
      return { status: 'shutdown', usage, streamedText };
    }
    if (opts.signal.aborted) return { status: 'client_disconnected', usage, streamedText };
    const http = upstreamErrorToHttp(asUpstreamError(err, opts.attempt.provider));
    res.locals.errorType = http.code;
    out.write(`data: ${JSON.stringify(http.toBody())}\n\n`);
    return { status: 'error', usage, streamedText };
  }
}

/** The output a chunk carries: content, refusal and tool-call arguments of every choice. */
function deltaText(chunk: ChatCompletionChunk): string {
  let text = '';
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if (delta.content) text += delta.content;
    if (delta.refusal) text += delta.refusal;
    for (const call of delta.tool_calls ?? []) text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
  }
  return text;
}

const SETTLE_ATTEMPTS = 3;

/**
 * Settles the stream's hold. The upstream has already been paid, so a transient ledger failure
 * is retried briefly; if it persists the error is logged with the request id (the hold then
 * expires and the sweeper releases it: that spend is not recorded).
 */
async function settleWithRetries(
  deps: ApiDeps,
  reservation: StreamReservation,
  opts: { served: RouteAttempt } & StreamOutcome,
): Promise<{ costUsd: string } | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await settleStream(deps, reservation, {
        served: opts.served,
        usage: opts.usage ?? undefined,
        streamedText: opts.streamedText,
        status: opts.status,
      });
    } catch (err) {
      if (attempt >= SETTLE_ATTEMPTS) {
        deps.logger.error({ requestId: reservation.requestId, err: messageOf(err) }, 'settling a stream failed; its spend is not recorded');
        return undefined;
      }
      await sleep(100 * attempt);
    }
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
  end(data?: string): void {
    this.cancel();
    if (data === undefined) this.res.end();
    else this.res.end(data);
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

const ALLOWED = { kind: 'allow' } as const;

function asUpstreamError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError(message, { failureType: 'ProviderServerError', provider });
}
