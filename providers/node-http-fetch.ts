import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * Idle upstream connections are kept this long (ms) unless the server's `Keep-Alive: timeout=`
 * hint is shorter (Node's agent then closes a second before the server would), so a request
 * rarely lands on a socket the server is closing. Same default as undici's.
 */
const IDLE_SOCKET_MS = 4_000;

const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: 'lifo' }),
} as const;

/** Statuses whose response must not have a body (the Response constructor rejects one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` for the provider SDKs built on `node:http` with a keep-alive agent. The SDKs still
 * build every request and parse every response; this only replaces the transport, because
 * undici's spec-complete `fetch` (Request/Headers objects, the fetch algorithm, a web stream fed
 * by its own parser) costs several times the CPU of `node:http` per call on the streaming path.
 *
 * What it keeps from `fetch`: an aborted `signal` rejects the call, or errors the body stream,
 * with `signal.reason` (an `AbortError`, which the SDKs treat as a user abort or their own
 * timeout); a failure before the response rejects with `TypeError('fetch failed', { cause })`
 * and one mid-body errors the stream with `TypeError('terminated', { cause })`, as undici
 * does, so error classification is unchanged; gzip/deflate/br bodies are decoded.
 * What it does not do: follow redirects (the OpenAI and Azure APIs answer without them; a 3xx
 * reaches the SDK as an error status) or send bodies other than strings and bytes — those calls,
 * and non-HTTP(S) URLs, go to the global `fetch`.
 */
export function nodeHttpFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  return fetchWith(input, init, undefined);
}

/**
 * {@link nodeHttpFetch} with a TCP connect timeout: a socket still connecting after
 * `connectTimeoutMs` is destroyed, which rejects the call like any connection failure
 * (`TypeError('fetch failed')`, classified as a connection error). A reused keep-alive socket
 * is not timed.
 */
export function createNodeHttpFetch(opts: { connectTimeoutMs?: number }): typeof nodeHttpFetch {
  if (opts.connectTimeoutMs === undefined) return nodeHttpFetch;
  const connectTimeoutMs = opts.connectTimeoutMs;
  return function nodeHttpFetchWithConnectTimeout(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    return fetchWith(input, init, connectTimeoutMs);
  };
}

function fetchWith(input: string | URL | Request, init: RequestInit | undefined, connectTimeoutMs: number | undefined): Promise<Response> {
  const body = init?.body;
  const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : undefined;
  const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
  if (!url || !simpleBody || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fetch(input, init);
  return send(url, init ?? {}, body ?? undefined, connectTimeoutMs);
}

function send(url: URL, init: RequestInit, body: string | Uint8Array | undefined, connectTimeoutMs?: number): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Response>((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: init.method ?? 'GET',
      headers: requestHeaders(init.headers),
      agent: agents[url.protocol as keyof typeof agents],
    });
    if (connectTimeoutMs !== undefined) limitConnect(req, connectTimeoutMs);
    let settled = false;
    const onAbort = (): void => {
      // Before the response: reject; after: the body stream errors with the reason (below).
      req.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
      if (!settled) {
        settled = true;
        reject(signal?.reason);
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const release = (): void => signal?.removeEventListener('abort', onAbort);
    // `on`, not `once`: a later error (e.g. from destroying an aborted exchange) must not go unhandled.
    req.on('error', (err) => {
      if (settled) return;
      settled = true;
      release();
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: err }));
    });
    req.once('response', (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      const status = res.statusCode ?? 0;
      const headers = responseHeaders(res);
      if (NULL_BODY_STATUSES.has(status) || init.method === 'HEAD') {
        res.resume();
        release();
        resolve(new Response(null, { status, statusText: res.statusMessage, headers }));
        return;
      }
      resolve(new Response(bodyStream(res, signal, release), { status, statusText: res.statusMessage, headers }));
    });
    req.end(body);
  });
}

function limitConnect(req: http.ClientRequest, ms: number): void {
  req.once('socket', (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => req.destroy(new Error(`connect timed out after ${ms} ms`)), ms);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('close', clear);
  });
}

function requestHeaders(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  // The SDKs pass a Headers (already validated): read it as is rather than copying it into another.
  if (init instanceof Headers) init.forEach((value, name) => (out[name] = value));
  else if (init) new Headers(init).forEach((value, name) => (out[name] = value));
  // Without Accept-Encoding a server may pick any coding; ask for none (a coded body is still decoded).
  out['accept-encoding'] ??= 'identity';
  return out;
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** The (decoded) body as a web byte stream that errors like undici's and cancels by destroying the response. */
function bodyStream(res: IncomingMessage, signal: AbortSignal | undefined, release: () => void): ReadableStream<Uint8Array> {
  const source = decoded(res);
  // Until the first read the iterator has no listener on the stream; a socket error in that gap
  // would otherwise be an uncaught 'error' event. The iterator still sees it (the stream is errored).
  source.on('error', ignore);
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          release();
          controller.close();
        } else {
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        }
      } catch (err) {
        release();
        controller.error(signal?.aborted ? signal.reason : new TypeError('terminated', { cause: err }));
      }
    },
    cancel() {
      release();
      res.destroy();
      if (source !== res) source.destroy();
    },
  });
}

function ignore(): void {}

function decoded(res: IncomingMessage): Readable {
  const coding = res.headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    coding === 'gzip' || coding === 'x-gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : coding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.once('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}
