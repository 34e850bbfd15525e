import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { ClientKeys } from '../api/client-keys';
import type { GatewayConfig } from '../config/gateway-config';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { defaultPricesPath, loadPriceFile, seedPrices } from '../prices/load-prices';
import { PriceCache } from '../prices/price-cache';
import type { Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { ProviderRegistry } from '../providers/registry';
import { PgRateLimitStore } from '../db/rate-limits';
import { RateLimiter } from '../ratelimit/rate-limiter';
import { ensureBudgetAlertSweeperSchedule } from '../temporal/budget-alert-sweeper';
import { temporalAlertNotifier } from '../temporal/budget-alert-notifier';
import { ensureBudgetSweeperSchedule } from '../temporal/budget-sweeper';
import { connectTemporal, type TemporalSettings } from '../temporal/connect';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';
import { createInteractiveWorker } from '../worker/create-worker';
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
  /** Prebuilt workflow bundle; default: bundle the workflows at start. */
  readonly workflowBundle?: WorkflowBundleOption;
  /** Seed price list (YAML); default: the committed prices/prices.yaml. */
  readonly pricesFile?: string;
}

export interface RunningGateway {
  /** `http://host:port` when the api role runs. */
  readonly url?: string;
  readonly pool: Pool;
  readonly client: Client;
  readonly providers: ProviderRegistry;
  /** Current prices, shared by the worker's budget activities and the API. */
  readonly prices: PriceCache;
  /** The api role's rate limiter (its counters sync through Postgres). */
  readonly rateLimiter?: RateLimiter;
  /** Stops HTTP (in-flight requests finish), then the worker, then the connections. */
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
  const { connection, client } = await connectTemporal(opts.temporal);
  await checkSearchAttributes(connection, opts);
  const budgetAlerts = temporalAlertNotifier(client, opts.logger);
  const metrics = createMetrics();
  const providers = new ProviderRegistry(opts.config);
  const missing = providers.unconfigured();
  if (missing.length) opts.logger.warn({ providers: missing }, 'providers without an API key: their calls fail over to other deployments');

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let batch: RunningBatchWorker | undefined;
  if (opts.roles.worker) {
    worker = await createInteractiveWorker({
      connection,
      namespace: opts.temporal.namespace,
      providers,
      pool,
      prices,
      metrics,
      workflowBundle: opts.workflowBundle,
      budgetAlerts,
    });
    await ensureSweeper(client, opts);
    workerRun = worker.run().catch((err: unknown) => {
      opts.logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'worker stopped with an error');
      process.exitCode = 1;
    });
    batch = await startBatchWorker({ opts, connection, pool, prices, providers, budgetAlerts });
  }

  let server: Server | undefined;
  let url: string | undefined;
  let rateLimiter: RateLimiter | undefined;
  if (opts.roles.api) {
    rateLimiter = new RateLimiter({
      store: new PgRateLimitStore(pool),
      onSyncError: (err) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit sync failed; counting locally'),
    });
    rateLimiter.start();
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
    });
    const host = opts.host ?? '127.0.0.1';
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(opts.port ?? 8080, host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    url = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  return {
    url,
    pool,
    client,
    providers,
    prices,
    rateLimiter,
    async stop() {
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closing;
      }
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await batch?.stop();
      await workerRun;
      await connection.close();
      await rateLimiter?.stop();
      await pool.end();
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
}): Promise<RunningBatchWorker> {
  const { opts } = deps;
  const rateLimiter = new RateLimiter({
    store: new PgRateLimitStore(deps.pool),
    onSyncError: (err) => opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limit sync failed; counting locally'),
  });
  rateLimiter.start();
  const worker = await createBatchWorker({
    connection: deps.connection,
    namespace: opts.temporal.namespace,
    config: opts.config,
    providers: deps.providers,
    pool: deps.pool,
    prices: deps.prices,
    rateLimiter,
    workflowBundle: opts.workflowBundle,
    budgetAlerts: deps.budgetAlerts,
  });
  const running = worker.run().catch((err: unknown) => {
    opts.logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'batch worker stopped with an error');
    process.exitCode = 1;
  });
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await rateLimiter.stop();
    },
  };
}

/**
 * The budget sweeper Schedule, created by whichever worker starts first. Not fatal: without it
 * expired holds stay reserved until a Schedule exists, which reduces room but never overspends.
 */
async function ensureSweeper(client: Client, opts: GatewayOptions): Promise<void> {
  try {
    if ((await ensureBudgetSweeperSchedule(client)) === 'created') opts.logger.info('created the budget sweeper Schedule');
  } catch (err) {
    opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not create the budget sweeper Schedule');
  }
  // Without it, an alert whose delivery failed to start stays pending (it is still recorded).
  try {
    if ((await ensureBudgetAlertSweeperSchedule(client)) === 'created') opts.logger.info('created the budget alert sweeper Schedule');
  } catch (err) {
    opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'could not create the budget alert sweeper Schedule');
  }
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
