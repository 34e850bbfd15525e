/**
 * One HTTP phase: closed-loop load of one request shape at one concurrency, with CPU accounting.
 */
import type { CpuMeter } from './cpu-meter';
import type { RequestSpec, Transport } from './http-client';
import { runClosedLoop } from './load';
import { summarize, type PhaseStats } from './stats';

/** A chat completion request body, encoded once. */
export function chatBody(model: string, stream: boolean): Buffer {
  return Buffer.from(
    JSON.stringify({
      model,
      messages: [{ role: 'user', content: 'Say hello to the benchmark.' }],
      max_tokens: 32,
      ...(stream ? { stream: true } : {}),
    }),
  );
}

/** A POST to `<baseUrl>/v1/chat/completions` (`baseUrl` is the origin, `http://127.0.0.1:<port>`). */
export function chatSpec(opts: { baseUrl: string; bearer: string; model: string; stream: boolean }): RequestSpec {
  return {
    url: `${opts.baseUrl}/v1/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.bearer}`, accept: opts.stream ? 'text/event-stream' : 'application/json' },
    body: chatBody(opts.model, opts.stream),
    stream: opts.stream,
  };
}

/** Runs warm-up and measured requests of `spec`; CPU is read around the measured part only. */
export async function runHttpPhase(opts: {
  transport: Transport;
  spec: RequestSpec;
  shape: { concurrency: number; warmup: number; requests: number };
  maxMeasureMs: number;
  meter: CpuMeter;
}): Promise<PhaseStats> {
  const load = await runClosedLoop({
    ...opts.shape,
    maxMeasureMs: opts.maxMeasureMs,
    issue: () => opts.transport.send(opts.spec),
    beforeMeasure: () => opts.meter.begin(),
    afterMeasure: () => opts.meter.finish(),
  });
  return summarize(load, opts.meter.breakdown());
}

/**
 * Sends one request outside any measurement and throws with the response body when it is not
 * a 200, so a broken setup fails with a readable reason instead of a table of errors.
 */
export async function checkOnce(spec: RequestSpec, what: string): Promise<void> {
  const res = await fetch(spec.url, { method: 'POST', headers: spec.headers, body: spec.body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  if (spec.stream && !text.includes('data: [DONE]')) throw new Error(`${what}: stream did not end with [DONE]: ${text.slice(0, 500)}`);
}
