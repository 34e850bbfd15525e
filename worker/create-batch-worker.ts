import type { DataConverter } from '@temporalio/common';
import { Runtime, Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createBatchActivities } from '../activities/batch-activities';
import type { BudgetAlertNotifier } from '../budget/alert-types';
import { adapterOutputCaps } from '../budget/output-caps';
import type { GatewayConfig } from '../config/gateway-config';
import { PriceCache } from '../prices/price-cache';
import type { ProviderRegistry } from '../providers/registry';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { TaskQueue } from '../temporal/task-queues';
import { watchWorkflowThreads } from './workflow-thread-watchdog';
import { WORKFLOWS_PATH } from './workflows-path';

/**
 * The batch worker (task queue `switchyard-batch`): batch workflows and their page activities.
 * A queue of its own, so a large batch never delays interactive requests' workflow tasks.
 *
 * A page activity runs up to `batch.concurrency` items at once, so few activity slots are
 * needed; heartbeats are flushed at least every second, so a cancel or the completion window's
 * end reaches a running page within about a second.
 *
 * @param rateLimiter the keys' rpm/tpm limits (items wait for room); unset = not enforced.
 * @param dataConverter the history codec (`historyDataConverter`), the same as the clients'.
 * @param workflowBundle a prebuilt bundle (tests bundle once per run); default: bundle at start.
 */
export async function createBatchWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  config: GatewayConfig;
  providers: ProviderRegistry;
  pool: Pool;
  prices?: PriceCache;
  rateLimiter?: RateLimiter;
  workflowBundle?: WorkflowBundleOption;
  budgetAlerts?: BudgetAlertNotifier;
  dataConverter?: DataConverter;
}): Promise<Worker> {
  const activities = createBatchActivities({
    pool: opts.pool,
    config: opts.config,
    providers: opts.providers,
    charge: {
      pool: opts.pool,
      prices: opts.prices ?? PriceCache.for(opts.pool),
      defaultOutputCap: adapterOutputCaps(opts.providers),
      alerts: opts.budgetAlerts,
    },
    rateLimiter: opts.rateLimiter,
  });
  watchWorkflowThreads(Runtime.instance().logger);
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: TaskQueue.Batch,
    dataConverter: opts.dataConverter,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 20,
    maxHeartbeatThrottleInterval: '1 second',
    defaultHeartbeatThrottleInterval: '1 second',
    shutdownGraceTime: '10 seconds',
  });
}
