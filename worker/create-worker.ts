import type { DataConverter } from '@temporalio/common';
import { Runtime, Worker, type InjectedSinks, type NativeConnection, type WorkerOptions, type WorkflowBundleOption } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Pool } from 'pg';
import { createBudgetAlertActivities } from '../activities/budget-alert-activities';
import { createBudgetActivities } from '../activities/budget-activities';
import { createHealthCheckActivities } from '../activities/health-check-activities';
import { createCredentialRotationActivities } from '../activities/credential-rotation-activities';
import { createKeyRotationActivities } from '../activities/key-rotation-activities';
import { createProviderActivities } from '../activities/provider-activities';
import { createRequestBodyActivities } from '../activities/request-body-activities';
import { createFileActivities } from '../activities/file-activities';
import type { CircuitBreakers } from '../circuit/circuit-breakers';
import type { GatewayConfig } from '../config/gateway-config';
import type { DeploymentStats } from '../routing/deployment-stats';
import type { BudgetAlertNotifier } from '../budget/alert-types';
import { adapterOutputCaps } from '../budget/output-caps';
import { PriceCache } from '../prices/price-cache';
import type { ProviderRegistry } from '../providers/registry';
import type { GatewayMetrics } from '../observability/metrics';
import type { EarlyAnswers } from '../api/early-answers';
import type { SecretBox } from '../secrets/secret-box';
import { TaskQueue } from '../temporal/task-queues';
import type { AnswerSinks } from '../workflows/answer-sink';
import { watchWorkflowThreads, withWorkflowThreadOptions } from './workflow-thread-watchdog';
import { WORKFLOWS_PATH } from './workflows-path';

/**
 * Workflow-task slots of the interactive worker. A workflow task holds its slot while its local
 * attempt waits on the upstream, so this bounds the durable requests in flight here as much as
 * the local-activity limit does. When the slots run out the server stops starting workflows
 * eagerly, their tasks go through matching and, under load, wait seconds there (measured at
 * c=64: p99 4.9-7.7 s with 100 slots, 1.1 s with 500). The benchmark's floor driver uses it too.
 */
export const INTERACTIVE_WORKFLOW_TASK_SLOTS = 500;
export { WORKFLOWS_PATH } from './workflows-path';

/**
 * The interactive-queue worker: request workflows, their provider activities, the budget
 * activities (reserve/settle/release, run as local activities by the request workflows), the
 * maintenance Schedules' activities (budget and alert sweepers, body retention, stale uploads),
 * and budget alert delivery.
 *
 * @param pool the ledger's database.
 * @param prices price cache; default: the process's shared one for `pool` (30 s TTL).
 * @param workflowBundle a prebuilt bundle (tests bundle once per run); default: bundle at start.
 * @param budgetAlerts starts alert deliveries after settlement; default: none (the alert sweeper delivers).
 * @param dataConverter the history codec (`historyDataConverter`); must match the clients'. Default: the SDK's (plain text).
 * @param tracing interceptors and span sink (`Tracing.workerOptions`); default: none. A prebuilt
 *   `workflowBundle` must then include `TRACING_WORKFLOW_MODULES`.
 * @param circuits circuit breakers the provider activities obey and feed; with `config`, also the health checks' target.
 * @param stats this process's in-flight counts and latencies, fed by the provider activities.
 * @param answers the API requests of this process waiting for their workflows' results (early answers).
 */
export async function createInteractiveWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  providers: ProviderRegistry;
  pool: Pool;
  prices?: PriceCache;
  metrics?: GatewayMetrics;
  workflowBundle?: WorkflowBundleOption;
  budgetAlerts?: BudgetAlertNotifier;
  dataConverter?: DataConverter;
  tracing?: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  config?: GatewayConfig;
  circuits?: CircuitBreakers;
  stats?: DeploymentStats;
  /** Seals scheduled rotations' new keys; without it scheduled rotations fail (and retry). */
  secretBox?: SecretBox;
  /** The API requests of this process waiting for their workflows' answers; unset: none wait here. */
  answers?: EarlyAnswers;
}): Promise<Worker> {
  const charge = {
    pool: opts.pool,
    prices: opts.prices ?? PriceCache.for(opts.pool),
    defaultOutputCap: adapterOutputCaps(opts.providers),
    alerts: opts.budgetAlerts,
  };
  const budget = createBudgetActivities(charge);
  watchWorkflowThreads(Runtime.instance().logger);
  // Without per-promise stack traces: this queue's workflows are a chat request's milliseconds or
  // a rotation waiting on a timer, and the capture cost a sizeable share of each workflow task.
  return withWorkflowThreadOptions({ stackTraces: false }, () =>
    Worker.create({
      connection: opts.connection,
      namespace: opts.namespace,
      taskQueue: TaskQueue.Interactive,
      dataConverter: opts.dataConverter,
      ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
      activities: {
        ...createProviderActivities({ providers: opts.providers, metrics: opts.metrics, circuits: opts.circuits, stats: opts.stats, charge }),
        ...(opts.config && opts.circuits ? createHealthCheckActivities({ config: opts.config, providers: opts.providers, circuits: opts.circuits }) : {}),
        ...budget,
        ...createBudgetAlertActivities({ pool: opts.pool }),
        ...createRequestBodyActivities({ pool: opts.pool }),
        ...createFileActivities({ pool: opts.pool }),
        ...createKeyRotationActivities({ pool: opts.pool, box: opts.secretBox }),
        ...createCredentialRotationActivities({ pool: opts.pool }),
      },
      // Provider calls are I/O-bound: many may wait on upstreams at once.
      maxConcurrentActivityTaskExecutions: 500,
      // Attempts run as local activities by default (config `durable.attempts`).
      maxConcurrentLocalActivityExecutions: 500,
      maxConcurrentWorkflowTaskExecutions: INTERACTIVE_WORKFLOW_TASK_SLOTS,
      shutdownGraceTime: '10 seconds',
      ...(opts.tracing && tracingOptions(opts.tracing, opts.workflowBundle !== undefined)),
      sinks: { ...opts.tracing?.sinks, ...answerSinks(opts.answers) },
    }),
  );
}

/**
 * The request workflows' `answers` sink (`workflows/answer-sink.ts`): the result goes to the API
 * request of this process waiting for it. Every worker of the interactive queue registers it, so
 * a workflow finishing in a worker without API requests (`npm run worker`) calls a no-op.
 */
export function answerSinks(answers: EarlyAnswers | undefined): InjectedSinks<AnswerSinks> {
  return {
    answers: {
      ready: { fn: (info: WorkflowInfo, result: unknown) => answers?.deliver(info.workflowId, result), callDuringReplay: false },
    },
  };
}

/** A prebuilt bundle already holds (or lacks) the workflow interceptors: the worker ignores the modules, with a warning. */
function tracingOptions(tracing: Pick<WorkerOptions, 'interceptors' | 'sinks'>, prebuilt: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!prebuilt) return tracing;
  return { sinks: tracing.sinks, interceptors: { ...tracing.interceptors, workflowModules: [] } };
}
