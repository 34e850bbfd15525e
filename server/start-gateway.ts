import type { DataConverter } from '@temporalio/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { BodyLoggingSettings } from '../api/body-logging-settings';
import { ClientKeys } from '../api/client-keys';
import { HttpDrain } from '../api/drain';
import type { GatewayConfig } from '../config/gateway-config';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { defaultPricesPath, loadPriceFile, seedPrices } from '../prices/load-prices';
import { PriceCache } from '../prices/price-cache';
import type { Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { TRACING_WORKFLOW_MODULES, startTracing, type Tracing, type TracingSettings } from '../observability/tracing';
import { registerBudgetUtilization } from '../observability/budget-utilization';
import { TemporalMetricsBridge } from '../observability/temporal-metrics';
import { ProviderRegistry } from '../providers/registry';
import { PgRateLimitStore } from '../db/rate-limits';
import { RateLimiter } from '../ratelimit/rate-limiter';
import { ensureBudgetAlertSweeperSchedule } from '../temporal/budget-alert-sweeper';
import { temporalAlertNotifier } from '../temporal/budget-alert-notifier';
import { ensureBudgetSweeperSchedule } from '../temporal/budget-sweeper';
import { ensureKeyRotationSchedule } from '../temporal/key-rotation-schedule';
import { connectTemporal, type TemporalSettings } from '../temporal/connect';
import { historyDataConverter } from '../temporal/data-converter';
import type { HistoryKeyring } from '../temporal/history-keyring';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';
import { ensureRequestBodyRetentionSchedule } from '../temporal/request-body-retention';
import { ensureUploadSweeperSchedule } from '../temporal/upload-sweeper';
import type { CredentialReferencePolicy } from '../secrets/credential-reference';
import { CredentialResolver } from '../secrets/credential-resolver';
import { SecretBox } from '../secrets/secret-box';
import { createInteractiveWorker } from '../worker/create-worker';
import { EarlyAnswers } from '../api/early-answers';
import { answerParserErrors } from '../api/client-error';
import { chooseWorkflowBundle } from '../worker/workflow-bundle';
import { CircuitBreakers } from '../circuit/circuit-breakers';
import { PgCircuitStore } from '../db/circuits';
import { DeploymentStats } from '../routing/deployment-stats';
import { createDeploymentBalancer } from '../routing/deployment-balancer';
import { ensureHealthCheckSchedule } from '../temporal/health-check-schedule';
import type { GatewayMetrics } from '../observability/metrics';
import { createBatchWorker } from '../worker/create-batch-worker';

export interface GatewayOptions {
  readonly config: GatewayConfig;
  readonly databaseUrl: string;
  readonly temporal: TemporalSettings;
  /** Serve HTTP (`api`), poll task queues (`worker`), or both in one process. */
  readonly roles: { readonly api: boolean; readonly worker: boolean };
  readonly host?: string;
  /** HTTP port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  readonly adminToken?: string;
  /** Client-key cache lifetime in ms (default 5000). */
  readonly keyCacheTtlMs?: number;
  readonly logger: Logger;
  /** Workflow bundle; default: the one `npm run build` wrote if it matches the sources, else bundled at start. */
  readonly workflowBundle?: WorkflowBundleOption;
  /** Seed price list (YAML); default: the committed prices/prices.yaml. */
  readonly pricesFile?: string;
  /**
   * Keys encrypting workflow history (client, worker and the /codec endpoint). Unset or null:
   * payloads stay plain text — the entry points in bin/ refuse that unless
   * SWITCHYARD_HISTORY_ENCRYPTION=off.
   */
  readonly historyKeyring?: HistoryKeyring | null;
  /** Browser origins allowed to call /codec/*; default: the local Temporal UI. */
  readonly codecCorsOrigins?: ReadonlyArray<string>;
  /** OpenTelemetry export (`tracingSettingsFromEnv`); default: tracing off, nothing installed. */
  readonly tracing?: TracingSettings;
  /** Master key (32 bytes) sealing secrets at rest; unset = stored secrets are refused. */
  readonly masterKey?: Buffer;
  /** How long a resolved provider credential is cached, in ms (default 2000). */
  readonly credentialCacheTtlMs?: number;
  /**
   * Absolute directories that `file:` credential references may name (stored through the admin
   * API, read by the resolver): `SWITCHYARD_CREDENTIAL_FILE_DIRS`. Default none: `file:` refused.
   */
  readonly credentialFileDirs?: readonly string[];
}

export interface RunningGateway {
  /** `http://host:port` when the api role runs. */
  readonly url?: string;
  readonly pool: Pool;
  readonly client: Client;
  readonly providers: ProviderRegistry;
  /** Current prices, shared by the worker's budget activities and the API. */
  readonly prices: PriceCache;
  /** The process's rate limiter, shared by the API and the batch worker (its counters sync through Postgres). */
  readonly rateLimiter?: RateLimiter;
  /** Present when tracing is on. */
  readonly tracing?: Tracing;
  /** This process's circuit breakers (shared with the other instances through Postgres). */
  readonly circuits: CircuitBreakers;
  /** This process's per-deployment in-flight counts and latencies. */
  readonly deploymentStats: DeploymentStats;
  /** Durable requests waiting for their answers from this process's worker (api and worker roles together). */
  readonly answers?: EarlyAnswers;
  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests and streams finish
   * for up to `shutdown.drain_seconds` (streams still running then end with an error event,
   * waiting requests get 503), then stops the worker (waiting for its run to end), then closes
   * Temporal and Postgres.
   */
  stop(): Promise<void>;
}

/**
 * Composes and starts one gateway process: migrations, price seed, Temporal connection, worker
 * (and the budget sweeper Schedule), HTTP.
 *
 * @throws ConfigError for an invalid price file; connection errors of Postgres or Temporal.
 */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const pool = createPool(opts.databaseUrl);
  await migrate(pool);
  // Every process seeds (idempotently, under an advisory lock): api and worker may start in any order.
  const pricesFile = opts.pricesFile ?? defaultPricesPath();
  const seeded = await seedPrices(pool, loadPriceFile(pricesFile));
  if (seeded.written.length) opts.logger.info({ file: pricesFile, models: seeded.written.length }, 'seeded prices');
  const prices = PriceCache.for(pool);
  const dataConverter = historyDataConverter(opts.historyKeyring ?? null);
  const tracing = opts.tracing ? await startTracing(opts.tracing) : undefined;
  const { connection, client } = await connectTemporal(opts.temporal, { dataConverter, interceptors: tracing?.clientInterceptors });
  await checkSearchAttributes(connection, opts);
  const budgetAlerts = temporalAlertNotifier(client, opts.logger);
  const secretBox = opts.masterKey ? new SecretBox(opts.masterKey) : undefined;
  const metrics = createMetrics();
  const credentialReferences: CredentialReferencePolicy = Object.freeze({ fileDirs: Object.freeze([...(opts.credentialFileDirs ?? [])]) });
  const credentials = new CredentialResolver({ pool, box: secretBox, references: credentialReferences }, opts.credentialCacheTtlMs);
  // The worker's own metrics on the same /metrics, when the runtime buffers them.
  const detachTemporalMetrics = TemporalMetricsBridge.forRuntime()?.attach(metrics.registry);
  const providers = tracing ? tracing.providerRegistry(opts.config, { credentials }) : new ProviderRegistry(opts.config, { credentials });
  const circuits = createCircuitBreakers(pool, opts, metrics);
  // Know the circuits other instances opened before taking traffic (a failed read is retried by the timer).
  await circuits.sync();
  const deploymentStats = new DeploymentStats();
  const missing = providers.unconfigured();
  if (missing.length) opts.logger.warn({ providers: missing }, 'providers without an API key: their calls fail over to other deployments');

  // API and worker in one process: request workflows started here hand their answers over in-process.
  const answers = opts.roles.api && opts.roles.worker ? new EarlyAnswers() : undefined;
  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  // One limiter per process, shared by the API and the batch worker (one Postgres sync loop).
  const rateLimiter = startRateLimiter(pool, opts);
  let batch: RunningBatchWorker | undefined;
  if (opts.roles.worker) {
    // One bundle for both workers, prebuilt by `npm run build` when it matches the sources:
    // webpack run at start would stay in the process's RSS (tens of MiB).
    const workflowBundle =
      opts.workflowBundle ??
      (
        await chooseWorkflowBundle({
          variant: { failureConverterPath: dataConverter.failureConverterPath, workflowInterceptorModules: tracing ? TRACING_WORKFLOW_MODULES : [] },
          logger: opts.logger,
        })
      ).bundle;
    worker = await createInteractiveWorker({
      connection,
      namespace: opts.temporal.namespace,
      providers,
      pool,
      prices,
      metrics,
      workflowBundle,
      budgetAlerts,
      dataConverter,
      tracing: tracing?.workerOptions,
      config: opts.config,
      circuits,
      stats: deploymentStats,
      secretBox,
      answers,
    });
    await ensureSchedules(client, opts);
    workerRun = worker.run().catch((err: unknown) => {
      opts.logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker stopped with an error');
      process.exitCode = 1;
    });
    batch = await startBatchWorker({ opts, connection, pool, prices, providers, budgetAlerts, dataConverter, workflowBundle, rateLimiter });
  }

  let server: Server | undefined;
  let url: string | undefined;
  const drain = new HttpDrain();
  if (opts.roles.api) {
    registerBudgetUtilization(metrics.registry, pool);
    const app = createApp({
      config: opts.config,
      pool,
      temporal: client,
      providers,
      metrics,
      logger: opts.logger,
      keys: new ClientKeys(pool, opts.keyCacheTtlMs ?? 5_000),
      rateLimiter,
      adminToken: opts.adminToken,
      budgetAlerts,
      historyCodec: dataConverter.payloadCodecs?.[0],
      codecCorsOrigins: opts.codecCorsOrigins,
      drain,
      bodyLogging: new BodyLoggingSettings(pool, opts.keyCacheTtlMs ?? 5_000),
      circuits,
      deploymentStats,
      balancer: createDeploymentBalancer(deploymentStats),
      secretBox,
      credentialReferences,
      answers,
    });
    const host = opts.host ?? '127.0.0.1';
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(opts.port ?? 8080, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    answerParserErrors(server);
    tracing?.instrumentServer(server);
    url = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  return {
    url,
    pool,
    client,
    providers,
    prices,
    rateLimiter,
    tracing,
    circuits,
    deploymentStats,
    answers,
    async stop() {
      if (server) {
        const { finishedInTime } = await drain.drain(server, opts.config.shutdownDrainMs);
        if (!finishedInTime) opts.logger.warn({ drainMs: opts.config.shutdownDrainMs }, 'drain deadline reached: remaining streams and requests were ended');
      }
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await batch?.stop();
      await workerRun;
      detachTemporalMetrics?.();
      await connection.close();
      await rateLimiter.stop();
      await circuits.stop();
      await pool.end();
      await tracing?.shutdown();
    },
  };
}

interface RunningBatchWorker {
  stop(): Promise<void>;
}

/**
 * The batch worker with its own rate limiter (batch items wait for the keys' rpm/tpm room; the
 * limiter's counts are shared with the API instances through Postgres).
 */
async function startBatchWorker(deps: {
  opts: GatewayOptions;
  connection: NativeConnection;
  pool: Pool;
  prices: PriceCache;
  providers: ProviderRegistry;
  budgetAlerts: ReturnType<typeof temporalAlertNotifier>;
  dataConverter: DataConverter;
  workflowBundle: WorkflowBundleOption;
  rateLimiter: RateLimiter;
}): Promise<RunningBatchWorker> {
  const { opts } = deps;
  const worker = await createBatchWorker({
    connection: deps.connection,
    namespace: opts.temporal.namespace,
    config: opts.config,
    providers: deps.providers,
    pool: deps.pool,
    prices: deps.prices,
    rateLimiter: deps.rateLimiter,
    workflowBundle: deps.workflowBundle,
    budgetAlerts: deps.budgetAlerts,
    dataConverter: deps.dataConverter,
  });
  const running = worker.run().catch((err: unknown) => {
    opts.logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'batch worker stopped with an error');
    process.exitCode = 1;
  });
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** The process's rpm/tpm limiter, synced through Postgres every 250 ms. */
function startRateLimiter(pool: Pool, opts: GatewayOptions): RateLimiter {
  const limiter = new RateLimiter({
    store: new PgRateLimitStore(pool),
    onSyncError: (err) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit sync failed; counting locally'),
  });
  limiter.start();
  return limiter;
}

/**
 * The Schedules every worker ensures (whichever starts first creates each). None is fatal: the
 * gateway serves without them, with the consequence noted per entry.
 */
async function ensureSchedules(client: Client, opts: GatewayOptions): Promise<void> {
  const schedules: Array<{ name: string; ensure: () => Promise<'created' | 'exists'> }> = [
    // Without it, expired holds stay reserved: less room, never overspend.
    { name: 'budget sweeper', ensure: () => ensureBudgetSweeperSchedule(client) },
    // Without it, an alert whose delivery failed to start stays pending (it is still recorded).
    { name: 'budget alert sweeper', ensure: () => ensureBudgetAlertSweeperSchedule(client) },
    // Without it, logged bodies outlive their retention (the admin listing still hides them).
    { name: 'request body retention', ensure: () => ensureRequestBodyRetentionSchedule(client) },
    // Without it, uploads a dead process left unfinished keep their rows and lines (never visible).
    { name: 'upload sweeper', ensure: () => ensureUploadSweeperSchedule(client) },
    // Without it, keys with max_age_seconds are not rotated automatically (admins still can).
    { name: 'key rotation', ensure: () => ensureKeyRotationSchedule(client) },
  ];
  // Without it, circuits learn from traffic only.
  if (opts.config.healthChecks.enabled) {
    schedules.push({ name: 'health-check', ensure: () => ensureHealthCheckSchedule(client, opts.config.healthChecks.intervalSeconds) });
  }
  for (const { name, ensure } of schedules) {
    try {
      if ((await ensure()) === 'created') opts.logger.info(`created the ${name} Schedule`);
    } catch (err) {
      opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, `could not create the ${name} Schedule`);
    }
  }
}

/**
 * The process's circuit breakers, synced every `circuit_breaker.sync_interval_ms`; transitions
 * and states go to the metrics and the log. Started before traffic, so the first sync (which
 * loads every stored circuit) runs within one interval of start.
 */
function createCircuitBreakers(pool: Pool, opts: GatewayOptions, metrics: GatewayMetrics): CircuitBreakers {
  const circuits = new CircuitBreakers({
    store: new PgCircuitStore(pool),
    config: opts.config.circuits,
    onTransition: (t) => {
      metrics.circuitTransitions.inc({ deployment: t.deployment, to: t.to, reason: t.reason });
      opts.logger.warn({ deployment: t.deployment, from: t.from, to: t.to, reason: t.reason }, 'circuit breaker changed state');
    },
    onStates: (states) => {
      for (const s of states) metrics.circuitState.set({ deployment: s.deployment }, s.state === 'closed' ? 0 : s.state === 'half_open' ? 1 : 2);
    },
    onSyncError: (err) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'circuit breaker sync failed; deciding locally'),
  });
  circuits.start();
  return circuits;
}

/** Registers missing search attributes; a cluster that refuses is reported, not fatal. */
async function checkSearchAttributes(connection: NativeConnection, opts: GatewayOptions): Promise<void> {
  try {
    const { added, conflicting } = await ensureSearchAttributes(connection, opts.temporal.namespace);
    if (added.length) opts.logger.info({ added }, 'registered search attributes on the Temporal namespace');
    if (conflicting.length) opts.logger.error({ conflicting }, 'search attributes exist with another type: workflow starts will fail');
  } catch (err) {
    opts.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'could not check search attributes; register them once per namespace (see docker/register-search-attributes.sh)',
    );
  }
}
