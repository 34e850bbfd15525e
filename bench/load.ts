/**
 * Closed-loop load: `concurrency` workers, each issuing its next request as soon as the
 * previous one finished, for a bounded number of requests and a bounded time.
 */
import type { Sample } from './http-client';

/** Options of {@link runClosedLoop}. */
export interface LoadOptions {
  /** Workers issuing requests back to back. */
  readonly concurrency: number;
  /** Requests before measuring (connections opened, JIT warm), spread over all workers. */
  readonly warmup: number;
  /** Measured requests; fewer when `maxMeasureMs` runs out first. */
  readonly requests: number;
  /** No measured request starts after this many ms (the warm-up has the same bound). */
  readonly maxMeasureMs: number;
  /** Issues one request; must settle (time out) on its own. */
  readonly issue: () => Promise<Sample>;
  /** Runs just before the first measured request (e.g. to read CPU counters). */
  readonly beforeMeasure?: () => void;
  /** Runs just after the last measured request finished. */
  readonly afterMeasure?: () => void;
}

/** Raw outcome of the measured part. */
export interface LoadResult {
  readonly concurrency: number;
  /** Requests measured (ok and failed). */
  readonly issued: number;
  readonly errors: number;
  /** One example error, when there were errors. */
  readonly firstError?: string;
  /** Wall time from the first measured request to the last completion, in ms. */
  readonly wallMs: number;
  /** Whether the time bound stopped the phase before `requests` were issued. */
  readonly timeBound: boolean;
  /** Latencies of the successful requests, ms. */
  readonly latenciesMs: number[];
  /** Time to first token of the successful streams, ms. */
  readonly ttftsMs: number[];
}

/** Runs the warm-up, then the measured requests, and returns what the measured part saw. */
export async function runClosedLoop(opts: LoadOptions): Promise<LoadResult> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  await runBatch(opts.warmup, opts.concurrency, opts.maxMeasureMs, opts.issue, () => undefined);

  const latenciesMs: number[] = [];
  const ttftsMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  opts.beforeMeasure?.();
  const started = performance.now();
  const issued = await runBatch(opts.requests, opts.concurrency, opts.maxMeasureMs, opts.issue, (sample) => {
    if (!sample.ok) {
      errors += 1;
      firstError ??= sample.error ?? 'unknown error';
      return;
    }
    latenciesMs.push(sample.latencyMs);
    if (sample.ttftMs !== undefined) ttftsMs.push(sample.ttftMs);
  });
  const wallMs = performance.now() - started;
  opts.afterMeasure?.();
  return { concurrency: opts.concurrency, issued, errors, firstError, wallMs, timeBound: issued < opts.requests, latenciesMs, ttftsMs };
}

/** Issues up to `count` requests over `concurrency` workers; returns how many were issued. */
async function runBatch(count: number, concurrency: number, maxMs: number, issue: () => Promise<Sample>, collect: (sample: Sample) => void): Promise<number> {
  const deadline = performance.now() + maxMs;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < count && performance.now() < deadline) {
      issued += 1;
      collect(await issue());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return issued;
}
