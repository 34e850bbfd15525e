import { z } from 'zod';

/**
 * The shape of `switchyard.yaml`. Field names are snake_case as users write them; `load-config.ts`
 * turns the parsed file into the frozen, camelCase `GatewayConfig`.
 */
const providerKind = z.enum(['openai', 'azure', 'anthropic', 'bedrock']);

const providerSchema = z
  .object({
    type: providerKind,
    /** Literal base URL. Wins over `base_url_env`. */
    base_url: z.string().url().optional(),
    /** Variable holding the base URL; defaults per type (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, …). */
    base_url_env: z.string().min(1).optional(),
    /** Variable holding the API key; defaults per type (OPENAI_API_KEY, ANTHROPIC_API_KEY, …). */
    api_key_env: z.string().min(1).optional(),
    /** Id of a provider credential managed through /admin/credentials; wins over `api_key_env`. */
    credential: z.string().min(1).optional(),
    /** Azure OpenAI API version (default: OPENAI_API_VERSION or 2024-10-21). */
    api_version: z.string().min(1).optional(),
    /** Bedrock region (default: AWS_REGION, then us-east-1). */
    region: z.string().min(1).optional(),
    /** Per-attempt timeout in ms (default 60000). */
    timeout_ms: z.number().int().positive().max(600_000).optional(),
    /** TCP (and TLS) connect timeout in ms for the openai, azure and anthropic transports (default: none). */
    connect_timeout_ms: z.number().int().positive().max(600_000).optional(),
  })
  .strict();

/** Circuit breaker settings; every field is optional (defaults in circuit/settings.ts). */
const circuitFields = {
  enabled: z.boolean().optional(),
  /** Length of the fixed window failures are counted in, ms (default 30000). */
  window_ms: z.number().int().positive().max(3_600_000).optional(),
  /** Failures in the window needed to open (default 5). */
  min_failures: z.number().int().min(1).max(100_000).optional(),
  /** Share of failures among the window's outcomes needed to open, 0–1 (default 0.5; 0 = count only). */
  failure_rate: z.number().min(0).max(1).optional(),
  /** How long an opened circuit stays open before it lets probes through, ms (default 30000). */
  open_ms: z.number().int().positive().max(86_400_000).optional(),
  /** Trial requests at once per gateway process while half-open (default 1). */
  half_open_probes: z.number().int().min(1).max(100).optional(),
  /** Probe successes that close a half-open circuit (default 2). */
  successes_to_close: z.number().int().min(1).max(100).optional(),
  /** Whether an upstream 429 counts as a failure (default true). */
  count_rate_limited: z.boolean().optional(),
};
const circuitOverrideSchema = z.object(circuitFields).strict();

const deploymentSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    /** Relative share of first picks among deployments of equal priority (default 1). */
    weight: z.number().positive().optional(),
    /** Lower runs first (default 0). Equal priorities are ordered by weighted random pick. */
    priority: z.number().int().min(0).optional(),
    /** Per-deployment timeouts in ms; `first_byte_ms` replaces the provider's `timeout_ms`. */
    timeouts: z
      .object({
        first_byte_ms: z.number().int().positive().max(600_000).optional(),
        total_ms: z.number().int().positive().max(3_600_000).optional(),
      })
      .strict()
      .optional(),
    /** Circuit breaker overrides for this deployment (keyed `provider/model`). */
    circuit_breaker: circuitOverrideSchema.optional(),
  })
  .strict();

const modelSchema = z
  .object({
    /** `chat` (default) or `embedding`. */
    type: z.enum(['chat', 'embedding']).optional(),
    deployments: z.array(deploymentSchema).min(1),
    /** Other configured model names tried, in order, after every deployment failed. */
    fallbacks: z.array(z.string().min(1)).optional(),
    /** How deployments of equal priority are ordered (default `weighted`). */
    strategy: z.enum(['weighted', 'round_robin', 'least_busy', 'lowest_latency']).optional(),
  })
  .strict();

const retrySchema = z
  .object({
    /** Attempts per deployment, including the first (default 3). */
    max_attempts: z.number().int().min(1).max(10).optional(),
    initial_interval_ms: z.number().int().min(1).optional(),
    backoff_coefficient: z.number().min(1).max(10).optional(),
    max_interval_ms: z.number().int().min(1).optional(),
  })
  .strict();

const batchSchema = z
  .object({
    /** Items of one batch in flight at once (default 64). */
    concurrency: z.number().int().min(1).max(1000).optional(),
    /** Per client key id: items in flight at once for that key's batches, instead of `concurrency`. */
    key_concurrency: z.record(z.string().min(1), z.number().int().min(1).max(1000)).optional(),
    /** Input lines per page activity (default 500). */
    page_size: z.number().int().min(1).max(5000).optional(),
    /** Pages per workflow run before continue-as-new (default 50). */
    pages_per_run: z.number().int().min(1).max(500).optional(),
    /**
     * Overrides the completion window, in seconds, for tests only: clients always send `24h`,
     * which is the default (86400).
     */
    completion_window_seconds: z.number().positive().optional(),
  })
  .strict();

export const fileConfigSchema = z
  .object({
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i), providerSchema),
    models: z.record(z.string().min(1), modelSchema),
    retry: retrySchema.optional(),
    /** How the durable path runs its deployment attempts (default `local_activity`). */
    durable: z
      .object({ attempts: z.enum(['local_activity', 'activity']).optional() })
      .strict()
      .optional(),
    /** Circuit breaker defaults for every deployment, and how often instances share state. */
    circuit_breaker: z
      .object({ ...circuitFields, sync_interval_ms: z.number().int().min(10).max(60_000).optional() })
      .strict()
      .optional(),
    /** Scheduled health checks of every deployment (a Temporal Schedule). */
    health_checks: z
      .object({
        /** Default true. False: this process creates no Schedule, and its worker skips the checks when one runs. */
        enabled: z.boolean().optional(),
        /** Period in seconds (default 60). */
        interval_seconds: z.number().int().min(10).max(86_400).optional(),
        /** Timeout of one check, ms (default 10000). */
        timeout_ms: z.number().int().positive().max(120_000).optional(),
      })
      .strict()
      .optional(),
    limits: z
      .object({
        /** Largest accepted request body in bytes (default 10 MiB). */
        max_body_bytes: z.number().int().positive().optional(),
        /**
         * How long an Idempotency-Key is remembered (default 24). Keep it at or below the
         * Temporal namespace's retention: a replay returns the stored workflow result.
         */
        idempotency_window_hours: z
          .number()
          .positive()
          .max(24 * 90)
          .optional(),
        /**
         * How long a stream's budget hold lasts before the sweeper may release it, if the process
         * serving the stream dies (default 600). Longer than any stream you serve: a stream that
         * outlives its hold is still charged, but its hold may be released while it runs.
         */
        stream_hold_seconds: z
          .number()
          .positive()
          .max(24 * 3600)
          .optional(),
        /** Largest accepted file upload (`POST /v1/files`) in bytes (default 200 MB); larger gets 413. */
        max_file_bytes: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    shutdown: z
      .object({
        /**
         * On SIGTERM/SIGINT: how long in-flight requests and streams may run before streams get a
         * final error event and waiting requests a 503 (default 30, at most 3600).
         */
        drain_seconds: z.number().min(0).max(3600).optional(),
      })
      .strict()
      .optional(),
    batch: batchSchema.optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;
