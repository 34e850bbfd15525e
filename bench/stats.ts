/**
 * Latency statistics of one phase, in the shape every phase (HTTP or Temporal floor) reports.
 */
import type { CpuBreakdown } from './cpu-meter';
import type { LoadResult } from './load';

/** CPU ms per successful request, split by process; undefined where not readable. */
export interface CpuPerRequest {
  /** The gateway process, or the floor driver in floor phases. */
  readonly underTest?: number;
  readonly temporal?: number;
  readonly postgres?: number;
  /** The benchmark's main process: load generator and fake upstream. */
  readonly bench?: number;
  /** Busy CPU outside the benchmark's processes (noise from other work on the machine). */
  readonly outside?: number;
}

/** Summary of one measured phase. Times in ms; undefined where not applicable. */
export interface PhaseStats {
  readonly concurrency: number;
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly timeBound: boolean;
  /** Successful requests per second of wall time. */
  readonly rps: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly ttftP50?: number;
  readonly ttftP99?: number;
  /** CPU per successful request, when measured. */
  readonly cpu?: CpuPerRequest;
  /** CPU probe time around the phase over its best at the start of the run (1 = full speed). */
  readonly cpuSlowdown?: number;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted values; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** Reduces a load result (and the CPU spent during it) to {@link PhaseStats}. */
export function summarize(result: LoadResult, cpu?: CpuBreakdown): PhaseStats {
  const ok = result.latenciesMs.length;
  const per = (ms: number | undefined): number | undefined => (ms === undefined || ok === 0 ? undefined : ms / ok);
  return {
    concurrency: result.concurrency,
    requests: result.issued,
    errors: result.errors,
    firstError: result.firstError,
    timeBound: result.timeBound,
    rps: result.wallMs > 0 ? (ok * 1000) / result.wallMs : 0,
    p50: percentile(result.latenciesMs, 50),
    p99: percentile(result.latenciesMs, 99),
    ttftP50: percentile(result.ttftsMs, 50),
    ttftP99: percentile(result.ttftsMs, 99),
    cpu: cpu && {
      underTest: per(cpu.underTestMs),
      temporal: per(cpu.temporalMs),
      postgres: per(cpu.postgresMs),
      bench: per(cpu.benchMs),
      outside: per(cpu.outsideMs),
    },
  };
}

/** CPU per request of all the benchmark's own processes together; undefined when not measured. */
export function benchmarkCpu(stats: PhaseStats): number | undefined {
  const c = stats.cpu;
  const parts = [c?.underTest, c?.temporal, c?.postgres, c?.bench];
  return parts.every((p) => p === undefined) ? undefined : parts.reduce<number>((sum, p) => sum + (p ?? 0), 0);
}

/** Outside CPU above this share of the benchmark's own marks a phase as disturbed. */
export const NOISE_SHARE = 0.2;
/** A CPU probe this much slower than at the start of the run marks a phase as disturbed. */
export const SLOW_CPU = 1.3;

/** Whether processes outside the benchmark used a large share of the CPU during the phase. */
export function isNoisy(stats: PhaseStats): boolean {
  const own = benchmarkCpu(stats);
  const outside = stats.cpu?.outside;
  return own !== undefined && outside !== undefined && outside > NOISE_SHARE * own;
}

/** Whether the CPU itself ran slow around the phase (e.g. other guests on the same host). */
export function isSlowCpu(stats: PhaseStats): boolean {
  return stats.cpuSlowdown !== undefined && stats.cpuSlowdown > SLOW_CPU;
}

/** Either of the above. */
export function isDisturbed(stats: PhaseStats): boolean {
  return isNoisy(stats) || isSlowCpu(stats);
}
