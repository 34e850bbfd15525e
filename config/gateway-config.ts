import type { CircuitSettings } from '../circuit/settings';
import type { ProviderSettings } from '../providers/types';

/** How deployments of equal priority are ordered on each request (`routing/deployment-balancer.ts`). */
export const BalancingStrategy = {
  /** Weighted random order (the default). */
  Weighted: 'weighted',
  /** Rotates the first pick per model and priority; ignores weights. */
  RoundRobin: 'round_robin',
  /** Fewest calls in flight in this process first. */
  LeastBusy: 'least_busy',
  /** Lowest decaying average latency first; an unmeasured or long-unused deployment first of all. */
  LowestLatency: 'lowest_latency',
} as const;
export type BalancingStrategy = (typeof BalancingStrategy)[keyof typeof BalancingStrategy];

/** Per-deployment time bounds, ms; undefined = the provider's `timeout_ms` / no total bound. */
export interface DeploymentTimeouts {
  /** Until the upstream answers (a stream: its response headers). Replaces the provider's timeout. */
  readonly firstByteMs?: number;
  /** The whole call, a stream's body included. */
  readonly totalMs?: number;
}

/** One way to serve a model: a provider entry and the model name that provider knows. */
export interface Deployment {
  readonly provider: string;
  readonly upstreamModel: string;
  readonly weight: number;
  readonly priority: number;
  /** `provider/upstreamModel`: the circuit breaker's and the balancer's key. */
  readonly id: string;
  readonly timeouts: DeploymentTimeouts;
}

export interface ModelRoute {
  readonly name: string;
  readonly type: 'chat' | 'embedding';
  readonly deployments: readonly Deployment[];
  readonly fallbacks: readonly string[];
  readonly strategy: BalancingStrategy;
}

/** Retry policy for one deployment; Temporal applies it to each provider activity. */
export interface RetrySettings {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
}

/**
 * How the durable path runs each deployment's attempts in the request workflow
 * (`durable.attempts` in switchyard.yaml): as local activities (the default: no server round
 * trip per attempt) or as regular activities (the server schedules each attempt and shows its
 * retry state while it runs). README "Why local activities" has the measurements.
 */
export type AttemptMechanism = 'local_activity' | 'activity';

/** How batches run (`batch` in switchyard.yaml). */
export interface BatchSettings {
  /** Items of one batch in flight at once. */
  readonly concurrency: number;
  /** Per client key id, replacing `concurrency` for that key's batches. */
  readonly keyConcurrency: ReadonlyMap<string, number>;
  /** Input lines per page activity. */
  readonly pageSize: number;
  /** Pages per batch workflow run before it continues as new. */
  readonly pagesPerRun: number;
  /** A batch's completion window in ms (24 h; shorter only in tests). */
  readonly completionWindowMs: number;
}

/** Everything the gateway reads at start, parsed once and frozen. */
export interface GatewayConfig {
  readonly providers: ReadonlyMap<string, ProviderSettings>;
  readonly models: ReadonlyMap<string, ModelRoute>;
  readonly retry: RetrySettings;
  readonly durableAttempts: AttemptMechanism;
  readonly maxBodyBytes: number;
  /** How long an Idempotency-Key is remembered, in ms. */
  readonly idempotencyWindowMs: number;
  /** How long a stream's budget hold lasts before the sweeper may release it, in ms. */
  readonly streamHoldMs: number;
  /** Graceful shutdown: how long in-flight requests may still run after SIGTERM, in ms. */
  readonly shutdownDrainMs: number;
  /** Largest accepted file upload, in bytes. */
  readonly maxFileBytes: number;
  readonly batch: BatchSettings;
  /** Circuit breakers: defaults, per-deployment overrides, sync period. */
  readonly circuits: CircuitConfig;
  readonly healthChecks: HealthCheckSettings;
}

export interface CircuitConfig {
  /** Settings for deployments without overrides. */
  readonly defaults: CircuitSettings;
  /** Deployment id → its settings (defaults merged with the deployment's overrides). */
  readonly byDeployment: ReadonlyMap<string, CircuitSettings>;
  /** How often each process shares outcomes and reads the other instances' states, ms (default 250). */
  readonly syncIntervalMs: number;
}

export interface HealthCheckSettings {
  readonly enabled: boolean;
  readonly intervalSeconds: number;
  readonly timeoutMs: number;
}
