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
  readonly maxBodyBytes: number;
  /** How long an Idempotency-Key is remembered, in ms. */
  readonly idempotencyWindowMs: number;
  /** How long a stream's budget hold lasts before the sweeper may release it, in ms. */
  readonly streamHoldMs: number;
  /** Largest accepted file upload, in bytes. */
  readonly maxFileBytes: number;
  readonly batch: BatchSettings;
}
