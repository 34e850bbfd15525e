/**
 * The header lines of the report: machine, command and load shape.
 */
import os from 'node:os';
import { PROCESS_WARMUP, PROCESS_WARMUP_CONCURRENCY } from './gateway-phases';
import type { BenchSettings } from './settings';

/** nproc, CPU model, memory, kernel and Node version. */
export function describeMachine(): string {
  const cpus = os.cpus();
  return [
    `nproc ${os.availableParallelism()}`,
    `${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `${os.type()} ${os.release()}`,
    `node ${process.version}`,
  ].join(', ');
}

/** `npm run bench`, with the BENCH_* variables that were set. */
export function describeCommand(env: NodeJS.ProcessEnv = process.env): string {
  const set = Object.entries(env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`);
  return set.length === 0 ? 'npm run bench' : `${set.join(' ')} npm run bench`;
}

/** Warm-up and measured counts per concurrency. */
export function describeShapes(settings: BenchSettings): string {
  const shapes = settings.concurrencies.map((c) => {
    const s = settings.shape(c);
    return `c=${c}: ${s.warmup} warm-up + ${s.requests} measured`;
  });
  const fastCounts = settings.concurrencies.map((c) => settings.fastShape(c).requests);
  const longer = settings.concurrencies.some((c, i) => fastCounts[i] !== settings.shape(c).requests);
  const fast = longer ? `; fast-path phases measure ${fastCounts.join(' / ')} streams` : '';
  const warm = `before a path's first phase the gateway serves ${PROCESS_WARMUP.stream} (fast paths) or ${PROCESS_WARMUP.durable} (durable) of its requests at c=${PROCESS_WARMUP_CONCURRENCY}, unmeasured`;
  return `${shapes.join('; ')} per phase${fast}, each part capped at ${settings.maxMeasureMs / 1000} s; ${warm}`;
}
