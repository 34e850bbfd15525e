import type { ProviderSettings } from '../providers/types';

/** One way to serve a model: a provider entry and the model name that provider knows. */
export interface Deployment {
  readonly provider: string;
  readonly upstreamModel: string;
  readonly weight: number;
  readonly priority: number;
}

export interface ModelRoute {
  readonly name: string;
  readonly type: 'chat' | 'embedding';
  readonly deployments: readonly Deployment[];
  readonly fallbacks: readonly string[];
}

/** Retry policy for one deployment; Temporal applies it to each provider activity. */
export interface RetrySettings {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
}

/** Everything the gateway reads at start, parsed once and frozen. */
export interface GatewayConfig {
  readonly providers: ReadonlyMap<string, ProviderSettings>;
  readonly models: ReadonlyMap<string, ModelRoute>;
  readonly retry: RetrySettings;
  readonly maxBodyBytes: number;
  /** How long an Idempotency-Key is remembered, in ms. */
  readonly idempotencyWindowMs: number;
  /** How long a stream's budget hold lasts before the sweeper may release it, in ms. */
  readonly streamHoldMs: number;
  /** Graceful shutdown: how long in-flight requests may still run after SIGTERM, in ms. */
  readonly shutdownDrainMs: number;
}
