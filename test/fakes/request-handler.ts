/**
 * One request's life: route, parse, record, then apply directives and answer.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { buildAnswer } from './answer';
import { parseDirectives } from './directives';
import type { Fault } from './directives';
import type { FaultLedger } from './fault-ledger';
import { hang, readBody, sendJson, sendRaw, waitUnlessClosed, writeStream } from './http-io';
import type { Reply } from './reply';
import { matchRoute } from './router';
import type { ProviderDialect, RecordedRequest, RequestView } from './types';

/** `retry-after` seconds on 429 replies whose directive names none. */
const DEFAULT_RETRY_AFTER_SECONDS = 0.1;
const BAD_KEY = 'bad-key';
/** A JSON body cut off mid-value, for `#fault=malformed` on non-streaming requests. */
const TRUNCATED_JSON = '{"id":"fake-malformed","object":"chat.completion","choices":[{"index":0,"message":{"role":"assis';

/** A request on either protocol. */
export type IncomingRequest = IncomingMessage | Http2ServerRequest;

/** Shared, mutable state of one fake upstream. */
export interface HandlerState {
  record: boolean;
  requests: RecordedRequest[];
  ledger: FaultLedger;
  /** Extra wait before every answer, ms. */
  delayMs?: number;
  /** Keys answered with 401 besides `bad-key` (see FakeUpstream.refuseKey). */
  refused: Set<string>;
}

/** True when any credential the SDKs send equals `bad-key` or a refused key (Bearer, x-api-key, api-key, SigV4). */
function hasBadKey(headers: IncomingHttpHeaders, refused: ReadonlySet<string>): boolean {
  for (const bad of [BAD_KEY, ...refused]) {
    const authorization = headers.authorization;
    if (authorization !== undefined && (authorization === `Bearer ${bad}` || authorization.includes(`Credential=${bad}/`))) return true;
    if (headers['x-api-key'] === bad || headers['api-key'] === bad) return true;
  }
  return false;
}

/** The key a Bearer, `x-api-key` or `api-key` header carries (not SigV4's), for the messages that quote it. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1];
  const header = headers['x-api-key'] ?? headers['api-key'];
  return bearer ?? (typeof header === 'string' ? header : undefined);
}

/** Serves one request; rejects only on unexpected internal errors. */
export async function handleRequest(req: IncomingRequest, res: Reply, state: HandlerState): Promise<void> {
  const route = matchRoute(req.method ?? 'GET', req.url ?? '/');
  if (route === undefined) {
    req.resume();
    sendJson(res, 404, {
      error: {
        message: `No fake upstream route for ${req.method} ${req.url}`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    });
    return;
  }
  const { dialect } = route;
  const raw = await readBody(req);
  let body: unknown;
  let view: RequestView;
  try {
    body = JSON.parse(raw) as unknown;
    view = route.parse(body);
  } catch (error) {
    dialect.sendError(res, { status: 400, message: error instanceof Error ? error.message : 'Invalid request body.' });
    return;
  }
  if (state.record) {
    const recorded: RecordedRequest = {
      provider: dialect.provider,
      path: route.path,
      url: req.url ?? route.path,
      model: view.model,
      stream: view.stream,
      lastUserText: view.lastUserText,
      headers: req.headers,
      body,
      aborted: false,
    };
    state.requests.push(recorded);
    res.onClose(() => {
      recorded.aborted = res.clientAborted;
    });
  }
  if (hasBadKey(req.headers, state.refused)) {
    dialect.sendError(res, { status: 401, reason: 'bad-key', presentedKey: presentedKey(req.headers) });
    return;
  }
  const directives = parseDirectives(view.lastUserText);
  const delayMs = directives.delayMs + (state.delayMs ?? 0);
  if (delayMs > 0 && !(await waitUnlessClosed(res, delayMs))) return;
  if (directives.fault !== undefined && (await applyFault(directives.fault, directives.tool, dialect, view, res, state, presentedKey(req.headers)))) return;
  answer(res, dialect, view, directives.tool, 'end', directives.gapMs);
}

function answer(res: Reply, dialect: ProviderDialect, view: RequestView, wantTool: boolean, ending: 'end' | 'cut' | 'stall' = 'end', gapMs = 0): void {
  if (view.kind === 'embeddings') {
    dialect.sendEmbeddings(res, view);
    return;
  }
  const content = buildAnswer(dialect.provider, view, wantTool);
  if (view.stream) writeStream(res, dialect.planStream(view, content), ending, gapMs);
  else dialect.sendChat(res, view, content);
}

/** Applies a fault; resolves true when it answered (or withheld) the response itself. */
async function applyFault(
  fault: Fault,
  wantTool: boolean,
  dialect: ProviderDialect,
  view: RequestView,
  res: Reply,
  state: HandlerState,
  key: string | undefined,
): Promise<boolean> {
  switch (fault.kind) {
    case 'status': {
      if (fault.times !== undefined && state.ledger.attempt(dialect.provider, view.lastUserText) > fault.times) return false;
      const retryAfterSeconds = fault.retryAfterSeconds ?? (fault.status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
      dialect.sendError(res, { status: fault.status, retryAfterSeconds, presentedKey: key });
      return true;
    }
    case 'context':
      dialect.sendError(res, { status: 400, reason: 'context' });
      return true;
    case 'hang':
      await hang(res);
      return true;
    case 'malformed':
      if (view.kind === 'chat' && view.stream) writeStream(res, dialect.planMalformedStream(view));
      else sendRaw(res, 200, TRUNCATED_JSON, { 'content-type': 'application/json' });
      return true;
    case 'stall':
      if (view.kind === 'chat' && view.stream) answer(res, dialect, view, wantTool, 'stall');
      else await hang(res);
      return true;
    case 'cut':
      if (view.kind === 'chat' && view.stream) {
        answer(res, dialect, view, wantTool, 'cut');
      } else if (!res.gone) {
        // Non-streaming: break the exchange before any response byte.
        res.abort();
      }
      return true;
  }
}
