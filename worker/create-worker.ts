import path from 'node:path';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { createProviderActivities } from '../activities/provider-activities';
import type { ProviderRegistry } from '../providers/registry';
import type { GatewayMetrics } from '../observability/metrics';
import { TaskQueue } from '../temporal/task-queues';

/** Where the workflow bundle's entry point lives (works from the sources and from dist/). */
export const WORKFLOWS_PATH = path.join(__dirname, '..', 'workflows');

/**
 * The interactive-queue worker: request workflows and their provider activities.
 *
 * @param workflowBundle a prebuilt bundle (tests bundle once per run); default: bundle at start.
 */
export async function createInteractiveWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  providers: ProviderRegistry;
  metrics?: GatewayMetrics;
  workflowBundle?: WorkflowBundleOption;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: TaskQueue.Interactive,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createProviderActivities({ providers: opts.providers, metrics: opts.metrics }),
    // Provider calls are I/O-bound: many may wait on upstreams at once.
    maxConcurrentActivityTaskExecutions: 500,
    maxConcurrentWorkflowTaskExecutions: 100,
    shutdownGraceTime: '10 seconds',
  });
}
