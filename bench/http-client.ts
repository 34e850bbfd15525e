/**
 * Two keep-alive HTTP clients for the load generator: node:http with a keep-alive Agent, and
 * Node's global fetch (undici). The benchmark measures both against the fake upstream and keeps
 * the one that adds less latency, unless BENCH_CLIENT picks one.
 */
import http from 'node:http';
import { SseProbe } from './sse';

/** One POST the load generator repeats; the body is encoded once per phase. */
export interface RequestSpec {
  /** Absolute URL on 127.0.0.1. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Parse the response as SSE, time the first content event, require `[DONE]`. */
  readonly stream: boolean;
}

/** What one request yielded. Times are in ms from just before the request was issued. */
export interface Sample {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** First `data:` event with content; streams only. */
  readonly ttftMs?: number;
  /** Status code or error message, when not ok. */
  readonly error?: string;
}

/** Client implementations the benchmark can use. */
export const TransportName = { NodeHttp: 'node:http', Fetch: 'fetch' } as const;
/** One of the {@link TransportName} values. */
export type TransportName = (typeof TransportName)[keyof typeof TransportName];

/** Sends requests over kept-alive connections. */
export interface Transport {
  readonly name: TransportName;
  send(spec: RequestSpec): Promise<Sample>;
  /** Closes idle connections. */
  close(): void;
}

/** A request that has not finished after this long counts as an error. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Creates the named transport. */
export function createTransport(name: TransportName): Transport {
  return name === TransportName.Fetch ? createFetchTransport() : createNodeHttpTransport();
}

function createNodeHttpTransport(): Transport {
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  return {
    name: TransportName.NodeHttp,
    send: (spec) =>
      new Promise<Sample>((resolve) => {
        const url = new URL(spec.url);
        const started = performance.now();
        let settled = false;
        const finish = (sample: Sample): void => {
          if (settled) return;
          settled = true;
          resolve(sample);
        };
        const fail = (error: string): void => finish({ ok: false, latencyMs: performance.now() - started, error });
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            agent,
            headers: { ...spec.headers, 'content-length': String(spec.body.length) },
            timeout: REQUEST_TIMEOUT_MS,
          },
          (res) => {
            const probe = spec.stream ? new SseProbe() : undefined;
            let ttftMs: number | undefined;
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              if (probe?.push(chunk)) ttftMs = performance.now() - started;
            });
            res.on('error', (error) => fail(error.message));
            res.on('end', () => {
              const latencyMs = performance.now() - started;
              if (res.statusCode !== 200) finish({ ok: false, latencyMs, error: `HTTP ${res.statusCode}` });
              else if (probe && !(probe.sawContent && probe.sawDone)) finish({ ok: false, latencyMs, error: 'stream without content or [DONE]' });
              else finish({ ok: true, latencyMs, ttftMs });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
        req.on('error', (error) => fail(error.message));
        req.end(spec.body);
      }),
    close: () => agent.destroy(),
  };
}

function createFetchTransport(): Transport {
  return {
    name: TransportName.Fetch,
    async send(spec) {
      const started = performance.now();
      try {
        const res = await fetch(spec.url, { method: 'POST', headers: spec.headers, body: spec.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
        if (!spec.stream || res.body === null) {
          await res.arrayBuffer();
          const latencyMs = performance.now() - started;
          return res.status === 200 ? { ok: true, latencyMs } : { ok: false, latencyMs, error: `HTTP ${res.status}` };
        }
        const probe = new SseProbe();
        const decoder = new TextDecoder();
        let ttftMs: number | undefined;
        const reader = res.body.getReader();
        // Bounded by the request's abort signal: the read rejects once the timeout fires.
        for (let part = await reader.read(); !part.done; part = await reader.read()) {
          if (probe.push(decoder.decode(part.value, { stream: true }))) ttftMs = performance.now() - started;
        }
        const latencyMs = performance.now() - started;
        if (res.status !== 200) return { ok: false, latencyMs, error: `HTTP ${res.status}` };
        if (!(probe.sawContent && probe.sawDone)) return { ok: false, latencyMs, error: 'stream without content or [DONE]' };
        return { ok: true, latencyMs, ttftMs };
      } catch (error) {
        return { ok: false, latencyMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
      }
    },
    close: () => undefined,
  };
}
