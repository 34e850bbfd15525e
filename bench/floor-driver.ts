/**
 * Child process measuring the Temporal floor: a worker on `bench-floor` and a client on one
 * NativeConnection (as the gateway has), driving no-op workflows with eager start + early answer
 * (the workflow's sink, as the gateway's `api/durable-call.ts`; `result()` as the fallback) at
 * each concurrency. Reads its spec from BENCH_FLOOR_SPEC; prints one JSON line on stdout.
 */
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { EarlyAnswers } from '../api/early-answers';
import { historyDataConverter } from '../temporal/data-converter';
import { answerSinks, INTERACTIVE_WORKFLOW_TASK_SLOTS } from '../worker/create-worker';
import { watchWorkflowThreads, withWorkflowThreadOptions } from '../worker/workflow-thread-watchdog';
import { sharedWorkflowModules } from '../worker/prebuilt-workflow-bundle';
import { generateHistoryKey, historyKeyring } from '../temporal/history-keyring';
import { SA } from '../temporal/search-attributes';
import { CpuMeter } from './cpu-meter';
import { floorActivities } from './floor-activities';
import { FLOOR_SPEC_ENV, FLOOR_TASK_QUEUE, FloorVariant, floorSpecSchema, type FloorResult, type FloorSpec } from './floor-protocol';
import type { Sample } from './http-client';
import { runClosedLoop } from './load';
import { peakRssKib } from './proc-stats';
import { QuietGate } from './quiet';
import { summarize } from './stats';

/** The five search attributes the gateway starts every chat workflow with. */
const GATEWAY_LIKE_SEARCH_ATTRIBUTES: SearchAttributePair[] = [
  { key: SA.Tenant, value: 'default' },
  { key: SA.KeyId, value: 'key_bench' },
  { key: SA.Model, value: 'bench-model' },
  { key: SA.RequestKind, value: 'chat' },
  { key: SA.Provider, value: 'bench' },
];

/** A workflow that has not finished after this long counts as an error. */
const WORKFLOW_TIMEOUT_MS = 30_000;

function log(line: string): void {
  process.stderr.write(`[bench floor] ${line}\n`);
}

async function main(): Promise<void> {
  const spec = floorSpecSchema.parse(JSON.parse(process.env[FLOOR_SPEC_ENV] ?? 'null'));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  // The gateway encrypts its history; the floor pays the same codec (a throw-away key).
  const dataConverter = historyDataConverter(historyKeyring([generateHistoryKey('bench-floor')]));
  const answers = new EarlyAnswers();
  try {
    // Same worker limits and workflow-thread watchdog as the gateway's interactive worker (worker/create-worker.ts).
    watchWorkflowThreads(Runtime.instance().logger);
    // Bundled like the gateway's workflows: the workflows module and the SDK API shared, not evaluated per workflow.
    const workflowsPath = require.resolve('./floor-workflows');
    const workflowBundle = await bundleWorkflowCode({ workflowsPath, preloadModules: sharedWorkflowModules(workflowsPath), logger: new DefaultLogger('WARN') });
    // Same thread options as the gateway's interactive worker too (no per-promise stack traces).
    const worker = await withWorkflowThreadOptions({ stackTraces: false }, () =>
      Worker.create({
        connection,
        namespace: spec.namespace,
        taskQueue: FLOOR_TASK_QUEUE,
        workflowBundle,
        activities: floorActivities,
        dataConverter,
        maxConcurrentActivityTaskExecutions: 500,
        maxConcurrentWorkflowTaskExecutions: INTERACTIVE_WORKFLOW_TASK_SLOTS,
        shutdownGraceTime: '5 seconds',
        sinks: answerSinks(answers),
      }),
    );
    // Eager start needs the client on the worker's connection.
    const client = new Client({ connection, namespace: spec.namespace, dataConverter });
    const result = await worker.runUntil(() => drive(client, spec, answers));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await connection.close();
  }
}

async function drive(client: Client, spec: FloorSpec, answers: EarlyAnswers): Promise<FloorResult> {
  const meter = new CpuMeter({ root: process.ppid, underTest: process.pid, temporal: spec.temporalPid });
  const gate = new QuietGate({ root: process.ppid, referenceProbeMs: spec.referenceProbeMs, waitBudgetMs: spec.waitBudgetMs, log });
  const results: FloorResult['results'] = [];
  const run = randomUUID().slice(0, 8);
  let sequence = 0;
  for (const variant of spec.variants) {
    for (const phase of spec.phases) {
      const issue = async (): Promise<Sample> => {
        sequence += 1;
        const workflowId = `bench-floor-${run}-${sequence}`;
        const started = performance.now();
        // Registered before the start, as api/durable-call.ts does: the eager task may finish first.
        const early = spec.earlyAnswers ? answers.wait(workflowId) : undefined;
        try {
          const handle = await client.workflow.start(variant, {
            taskQueue: FLOOR_TASK_QUEUE,
            workflowId,
            requestEagerStart: true,
            workflowExecutionTimeout: WORKFLOW_TIMEOUT_MS,
            ...(variant === FloorVariant.OneActivity || variant === FloorVariant.Empty || variant === FloorVariant.LocalActivity
              ? {}
              : { typedSearchAttributes: GATEWAY_LIKE_SEARCH_ATTRIBUTES }),
            ...(variant === FloorVariant.GatewayShape ? gatewayShapeOptions(spec) : {}),
          });
          await (early && handle.eagerlyStarted ? earlyOrResult(client, handle, early.promise) : handle.result());
          return { ok: true, latencyMs: performance.now() - started };
        } catch (error) {
          return { ok: false, latencyMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
        } finally {
          early?.cancel();
        }
      };
      const stats = await gate.measure(`floor ${label(variant)} c=${phase.concurrency}`, async () => {
        const load = await runClosedLoop({
          ...phase,
          maxMeasureMs: spec.maxMeasureMs,
          issue,
          beforeMeasure: () => meter.begin(),
          afterMeasure: () => meter.finish(),
        });
        return summarize(load, meter.breakdown());
      });
      results.push({ variant, stats });
      log(`  floor ${label(variant)} c=${phase.concurrency}: ${stats.rps.toFixed(0)} wf/s, p50 ${stats.p50?.toFixed(2)} ms`);
    }
  }
  return { results, peakRssKib: peakRssKib(process.pid) };
}

/** The gateway's race (api/durable-call.ts): the sink's answer or `result()`, whichever comes first; the other is stopped. */
async function earlyOrResult(client: Client, handle: WorkflowHandle, early: Promise<unknown>): Promise<unknown> {
  const stopPolling = new AbortController();
  const durable = client.withAbortSignal(stopPolling.signal, () => handle.result());
  try {
    return await Promise.race([early, durable]);
  } finally {
    stopPolling.abort();
    durable.catch(() => undefined);
  }
}

function label(variant: FloorVariant): string {
  switch (variant) {
    case FloorVariant.Empty:
      return 'empty';
    case FloorVariant.SearchAttributes:
      return 'one local activity + search attributes';
    case FloorVariant.Outcome:
      return 'one local activity + search attributes + outcome upsert';
    case FloorVariant.GatewayShape:
      return 'gateway shape';
    case FloorVariant.LocalActivity:
      return 'one local activity';
    default:
      return 'one activity';
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`floor driver failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

/** {@link FloorVariant.GatewayShape}'s start options: its payload sizes and, when asked for, a route-plan-sized memo. */
function gatewayShapeOptions(spec: FloorSpec): { args: [{ payload: string; resultBytes: number }]; memo?: Record<string, string> } {
  const memoBytes = spec.memoBytes ?? 0;
  return {
    args: [{ payload: 'p'.repeat(spec.payloadBytes ?? 0), resultBytes: spec.resultBytes ?? 0 }],
    ...(memoBytes > 0 ? { memo: { routePlan: 'm'.repeat(memoBytes) } } : {}),
  };
}
