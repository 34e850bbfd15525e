import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { TaskQueue } from '../temporal/task-queues';
import type { GatewayMetrics } from '../observability/metrics';
import { beforeDeadline, type DrainState } from './drain';
import type { EarlyAnswers } from './early-answers';

/**
 * Runs one request workflow and waits for its result.
 *
 * Mechanism: eager start + result. The API process runs a worker on the interactive task queue
 * on the same NativeConnection, so the server hands the first workflow task straight back to
 * this process (no matching hop), and the provider activity is dispatched eagerly to the same
 * worker. See README "Why eager start" for the measurements behind this choice.
 *
 * Idempotent ids: a running execution is joined (`USE_EXISTING`); a closed one is not re-run
 * (`REJECT_DUPLICATE`): its stored result (or failure) is returned instead, so the provider is
 * called once per key within the namespace's retention.
 *
 * Early answer: when the workflow was started eagerly (its first task runs in this process's
 * worker) and `deps.answers` is set, the result the workflow hands to its sink as it returns is
 * the answer; `result()` runs alongside (failures, a workflow that finishes elsewhere) and is
 * cancelled once the answer is in. See `EarlyAnswers`.
 *
 * At a graceful shutdown's drain deadline the wait ends with 503 `server_shutting_down`; the
 * workflow itself goes on (another worker, or this one after a restart, finishes it).
 */
export async function executeRequestWorkflow<R>(
  deps: { temporal: Client; metrics: GatewayMetrics; drain?: DrainState; answers?: EarlyAnswers },
  opts: {
    workflowType: string;
    workflowId: string;
    idempotent: boolean;
    input: unknown;
    searchAttributes: SearchAttributePair[];
    /** Shown on the workflow's page in the Temporal UI (e.g. the route plan); not searchable. */
    memo?: Record<string, unknown>;
    timeoutMs: number;
    kind: string;
    /**
     * Called when the workflow was not started (and is not running under an idempotent id), to
     * hand back what was taken for it; its own failure is swallowed (the sweeper catches up).
     */
    onNotStarted?: () => Promise<unknown>;
  },
): Promise<R> {
  const started = performance.now();
  const early = deps.answers?.wait(opts.workflowId);
  let handle;
  try {
    handle = await deps.temporal.workflow.start(opts.workflowType, {
      taskQueue: TaskQueue.Interactive,
      workflowId: opts.workflowId,
      args: [opts.input],
      requestEagerStart: true,
      workflowIdConflictPolicy: opts.idempotent ? 'USE_EXISTING' : 'FAIL',
      workflowIdReusePolicy: opts.idempotent ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
      workflowExecutionTimeout: opts.timeoutMs,
      typedSearchAttributes: opts.searchAttributes,
      memo: opts.memo,
    });
  } catch (err) {
    early?.cancel();
    if (opts.idempotent && err instanceof WorkflowExecutionAlreadyStartedError) {
      return readBack<R>(deps, opts.kind, deps.temporal.workflow.getHandle(opts.workflowId).result());
    }
    // Even if the server did start it after all (a lost reply), settling still records the spend.
    await opts.onNotStarted?.().catch(() => undefined);
    throw err;
  }
  deps.metrics.workflowStart.observe({ kind: opts.kind }, (performance.now() - started) / 1000);
  if (!early || !handle.eagerlyStarted) {
    // Not started here (joined a running execution, or the server did not start it eagerly).
    early?.cancel();
    return readBack<R>(deps, opts.kind, handle.result());
  }
  const stopPolling = new AbortController();
  const durable = deps.temporal.withAbortSignal(stopPolling.signal, () => handle.result());
  try {
    const first = await beforeDeadline(
      Promise.race([early.promise.then((value) => ({ via: 'early', value })), durable.then((value) => ({ via: 'result', value }))]),
      deps.drain,
    );
    deps.metrics.durableAnswers.inc({ kind: opts.kind, via: first.via });
    return first.value as R;
  } finally {
    early.cancel();
    stopPolling.abort();
    durable.catch(() => undefined);
  }
}

/** The result as the server reports it (the authority for failures). */
async function readBack<R>(deps: { metrics: GatewayMetrics; drain?: DrainState }, kind: string, result: Promise<unknown>): Promise<R> {
  const value = (await beforeDeadline(result, deps.drain)) as R;
  deps.metrics.durableAnswers.inc({ kind, via: 'result' });
  return value;
}
