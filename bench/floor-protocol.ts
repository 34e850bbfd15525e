/**
 * What the parent tells the floor driver (env BENCH_FLOOR_SPEC) and what the driver prints
 * back (one JSON line on stdout), with schemas so neither side trusts the other blindly.
 */
import { z } from 'zod';
import type { PhaseStats } from './stats';

/** Task queue of the floor worker; nothing else polls it. */
export const FLOOR_TASK_QUEUE = 'bench-floor';
/** Environment variable carrying the JSON {@link FloorSpec}. */
export const FLOOR_SPEC_ENV = 'BENCH_FLOOR_SPEC';

/** Floor variants: the workflow type each runs. */
export const FloorVariant = {
  /** One local activity: the durable path's default mechanism, the floor the checks use. */
  LocalActivity: 'floorLocalActivity',
  /** One regular activity: the floor of `durable.attempts: activity`, for comparison. */
  OneActivity: 'floorOneActivity',
  /** Diagnostic (A/B only): {@link FloorVariant.LocalActivity} with the gateway's start-time search attributes. */
  SearchAttributes: 'floorSearchAttributes',
  Empty: 'floorEmpty',
  /** Diagnostic (A/B only): search attributes at start and the gateway's final outcome upsert. */
  Outcome: 'floorOutcome',
  /** Diagnostic (A/B only): {@link FloorVariant.Outcome} with gateway-sized payloads in and out. */
  GatewayShape: 'floorGatewayShape',
} as const;
/** One of the {@link FloorVariant} values. */
export type FloorVariant = (typeof FloorVariant)[keyof typeof FloorVariant];

const floorVariantSchema = z.enum([
  FloorVariant.OneActivity,
  FloorVariant.SearchAttributes,
  FloorVariant.Empty,
  FloorVariant.Outcome,
  FloorVariant.GatewayShape,
  FloorVariant.LocalActivity,
]);

const loadShapeSchema = z.object({
  concurrency: z.number().int().min(1),
  warmup: z.number().int().min(0),
  requests: z.number().int().min(1),
});

/** Parameters of the floor run. */
export const floorSpecSchema = z.object({
  temporalAddress: z.string().min(1),
  namespace: z.string().min(1),
  /** The Temporal server, for its CPU share; absent when it was not started by the benchmark. */
  temporalPid: z.number().int().optional(),
  variants: z.array(floorVariantSchema).min(1),
  phases: z.array(loadShapeSchema).min(1),
  maxMeasureMs: z.number().int().min(1),
  /** The parent's CPU probe reference (see quiet.ts), so both processes judge speed alike. */
  referenceProbeMs: z.number().positive(),
  /** Time the driver may spend waiting for a quiet machine, in total. */
  waitBudgetMs: z.number().int().min(0),
  /** {@link FloorVariant.GatewayShape}: characters of the workflow input's payload and of the activity's result. */
  payloadBytes: z.number().int().min(0).optional(),
  resultBytes: z.number().int().min(0).optional(),
  /**
   * Answer as the gateway does: with the result the workflow hands to its sink when it was started
   * eagerly (early answers), `result()` as the fallback. False: `result()` only, as before 2026-12-04.
   */
  earlyAnswers: z.boolean().default(true),
  /** {@link FloorVariant.GatewayShape}: characters of a memo set at start, like the gateway's route-plan memo (none when 0 or absent). */
  memoBytes: z.number().int().min(0).optional(),
});
/** Parameters of the floor run. */
export type FloorSpec = z.infer<typeof floorSpecSchema>;

const optionalNumber = z.number().optional();

const phaseStatsSchema = z.object({
  concurrency: z.number(),
  requests: z.number(),
  errors: z.number(),
  firstError: z.string().optional(),
  timeBound: z.boolean(),
  rps: z.number(),
  p50: optionalNumber,
  p99: optionalNumber,
  ttftP50: optionalNumber,
  ttftP99: optionalNumber,
  cpu: z.object({ underTest: optionalNumber, temporal: optionalNumber, postgres: optionalNumber, bench: optionalNumber, outside: optionalNumber }).optional(),
  cpuSlowdown: optionalNumber,
}) satisfies z.ZodType<PhaseStats>;

/** The driver's answer. */
export const floorResultSchema = z.object({
  results: z.array(z.object({ variant: floorVariantSchema, stats: phaseStatsSchema })),
  /** Peak RSS of the driver process, KiB. */
  peakRssKib: optionalNumber,
});
/** The driver's answer. */
export type FloorResult = z.infer<typeof floorResultSchema>;
