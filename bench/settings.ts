/**
 * Benchmark knobs, read once from the environment.
 */
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/load-config';

/** Phase groups that can be selected with BENCH_ONLY. */
export const PhaseGroup = { Direct: 'direct', Fast: 'fast', Durable: 'durable', Floor: 'floor', Batch: 'batch' } as const;
/** One of the {@link PhaseGroup} values. */
export type PhaseGroup = (typeof PhaseGroup)[keyof typeof PhaseGroup];

const positiveIntList = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'expected a comma-separated list of positive integers')
  .transform((s) => s.split(',').map(Number))
  .refine((list) => list.every((n) => n >= 1 && n <= 1024), 'each value must be in 1..1024');

const envSchema = z.object({
  /** Measured requests per phase; default max(300, 40 × concurrency). */
  BENCH_REQUESTS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Warm-up requests per phase; default max(50, 2 × concurrency). */
  BENCH_WARMUP: z.coerce.number().int().min(0).max(100_000).optional(),
  /** Concurrency levels; default 1,16,64. */
  BENCH_CONCURRENCY: positiveIntList.default([1, 16, 64]),
  /** Upper bound on one phase's measured part (and its warm-up), seconds; default 20. */
  BENCH_PHASE_SECONDS: z.coerce.number().min(1).max(600).default(20),
  /** HTTP client: `auto` measures both against the fake upstream and keeps the faster. */
  BENCH_CLIENT: z.enum(['auto', 'node:http', 'fetch']).default('auto'),
  /** Comma-separated phase groups to run; default all. */
  BENCH_ONLY: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.enum([PhaseGroup.Direct, PhaseGroup.Fast, PhaseGroup.Durable, PhaseGroup.Floor, PhaseGroup.Batch])).min(1))
    .optional(),
  /** Batch part: input sizes in lines; default 1000,10000. */
  BENCH_BATCH_LINES: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'expected a comma-separated list of positive integers')
    .transform((s) => s.split(',').map(Number))
    .refine((list) => list.every((n) => n >= 1 && n <= 50_000), 'each value must be in 1..50000')
    .default([1000, 10_000]),
  /** Batch part: items in flight per batch; default 16,64. */
  BENCH_BATCH_CONCURRENCY: positiveIntList.default([16, 64]),
  /** Directory for a V8 CPU profile of the gateway (node --cpu-prof); default none. */
  BENCH_CPU_PROF_DIR: z.string().min(1).optional(),
});

/** Measured streams per fast-path phase at least (about 6 s at c=1 here). */
export const FAST_PHASE_MIN_REQUESTS = 3000;

/** Parsed benchmark settings. */
export interface BenchSettings {
  readonly concurrencies: readonly number[];
  readonly maxMeasureMs: number;
  readonly client: 'auto' | 'node:http' | 'fetch';
  readonly groups: ReadonlySet<PhaseGroup>;
  readonly cpuProfDir: string | undefined;
  /** Batch part: input sizes (lines) and per-batch concurrencies. */
  readonly batchLines: readonly number[];
  readonly batchConcurrencies: readonly number[];
  /** Warm-up and measured counts at a concurrency. */
  shape(concurrency: number): { concurrency: number; warmup: number; requests: number };
  /**
   * The same for the gateway's fast-path phases: at least {@link FAST_PHASE_MIN_REQUESTS}
   * measured streams (unless BENCH_REQUESTS says otherwise), so a phase lasts seconds, not the
   * ~0.7 s that 300 streams take at c=1, where one major GC moved the CPU per stream by 30 %.
   */
  fastShape(concurrency: number): { concurrency: number; warmup: number; requests: number };
}

/** Reads BENCH_* variables; throws ConfigError naming the bad one. */
export function readBenchSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const s = parsed.data;
  const shape = (concurrency: number) => ({
    concurrency,
    warmup: s.BENCH_WARMUP ?? Math.max(50, 2 * concurrency),
    requests: s.BENCH_REQUESTS ?? Math.max(300, 40 * concurrency),
  });
  return {
    concurrencies: s.BENCH_CONCURRENCY,
    maxMeasureMs: Math.round(s.BENCH_PHASE_SECONDS * 1000),
    client: s.BENCH_CLIENT,
    groups: new Set(s.BENCH_ONLY ?? Object.values(PhaseGroup)),
    cpuProfDir: s.BENCH_CPU_PROF_DIR,
    batchLines: s.BENCH_BATCH_LINES,
    batchConcurrencies: s.BENCH_BATCH_CONCURRENCY,
    shape,
    fastShape: (concurrency) => {
      const base = shape(concurrency);
      return s.BENCH_REQUESTS === undefined ? { ...base, requests: Math.max(FAST_PHASE_MIN_REQUESTS, base.requests) } : base;
    },
  };
}

/**
 * `--cpu-prof` flags when BENCH_CPU_PROF_DIR is set, writing into its subfolder `name` (one
 * profile per thread: the main thread and the workflow worker thread).
 */
export function cpuProfArgs(settings: BenchSettings, name: string): string[] {
  if (settings.cpuProfDir === undefined) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${path.resolve(settings.cpuProfDir, name)}`];
}
