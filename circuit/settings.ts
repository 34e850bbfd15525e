/** One deployment's circuit breaker settings, after defaults and overrides are merged. */
export interface CircuitSettings {
  /** False: the deployment is never skipped and its outcomes are not recorded. */
  readonly enabled: boolean;
  /** Length of the fixed window failures are counted in, ms. */
  readonly windowMs: number;
  /** Failures in the window needed to open. */
  readonly minFailures: number;
  /** Share of failures among the window's outcomes needed to open (0 = the count alone decides). */
  readonly failureRate: number;
  /** How long an opened circuit stays open before probes may go through, ms. */
  readonly openMs: number;
  /** Trial requests in flight at once, per gateway process, while half-open. */
  readonly halfOpenProbes: number;
  /** Probe successes that close a half-open circuit. */
  readonly successesToClose: number;
  /** Whether an upstream 429 (or 503 with Retry-After) counts as a failure. */
  readonly countRateLimited: boolean;
}

/** Defaults: open after ≥ 5 failures that are ≥ 50 % of a 30 s window; probe after 30 s; close after 2 successes. */
export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = Object.freeze({
  enabled: true,
  windowMs: 30_000,
  minFailures: 5,
  failureRate: 0.5,
  openMs: 30_000,
  halfOpenProbes: 1,
  successesToClose: 2,
  countRateLimited: true,
});

/** The file's snake_case circuit fields (all optional). */
export interface CircuitFileFields {
  readonly enabled?: boolean;
  readonly window_ms?: number;
  readonly min_failures?: number;
  readonly failure_rate?: number;
  readonly open_ms?: number;
  readonly half_open_probes?: number;
  readonly successes_to_close?: number;
  readonly count_rate_limited?: boolean;
}

/** `base` with the fields `file` sets replaced. */
export function mergeCircuitSettings(base: CircuitSettings, file: CircuitFileFields | undefined): CircuitSettings {
  if (!file) return base;
  return Object.freeze({
    enabled: file.enabled ?? base.enabled,
    windowMs: file.window_ms ?? base.windowMs,
    minFailures: file.min_failures ?? base.minFailures,
    failureRate: file.failure_rate ?? base.failureRate,
    openMs: file.open_ms ?? base.openMs,
    halfOpenProbes: file.half_open_probes ?? base.halfOpenProbes,
    successesToClose: file.successes_to_close ?? base.successesToClose,
    countRateLimited: file.count_rate_limited ?? base.countRateLimited,
  });
}
