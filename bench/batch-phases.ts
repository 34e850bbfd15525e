/**
 * The batch part of the benchmark (`BENCH_ONLY=batch`): for each per-batch concurrency, an API
 * process (`npm run api` without its worker) and a separate worker process (`npm run worker`,
 * which runs the batch worker) configured with it, so the worker's peak RSS is its own; for each
 * input size, one batch of chat lines against the zero-latency fake, from upload to `completed`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { getFreePort } from '../temporal/free-port';
import { formatHistoryKeyring, generateHistoryKey, historyKeyring } from '../temporal/history-keyring';
import { batchWorkflowId } from '../temporal/workflow-ids';
import { WORKER_ENV_DEFAULTS, WORKER_NODE_FLAGS } from '../worker/process-settings';
import { BENCH_KEY_ENV, BENCH_MODEL, BENCH_UPSTREAM_KEY, writeBenchConfig } from './bench-config';
import { spawnOwned, type OwnedChild } from './child-process';
import type { Cleanup } from './cleanup';
import { createClientKey } from './gateway-phases';
import { startGatewayProcess } from './gateway-process';
import type { BenchInfra } from './infra';
import { log } from './log';
import { peakRssKib } from './proc-stats';

/** One measured batch. */
export interface BatchRow {
  readonly lines: number;
  readonly concurrency: number;
  /** Upload of the input file (multipart, validated and stored), ms. */
  readonly uploadMs: number;
  /** From `POST /v1/batches` to `completed` seen by polling every 50 ms, ms. */
  readonly runMs: number;
  readonly itemsPerSecond: number;
  readonly completed: number;
  readonly failed: number;
  /** Temporal history events of the batch workflow, over all its continued runs. */
  readonly historyEvents: number;
  readonly runs: number;
  /** The worker process's peak RSS (VmHWM) once this batch completed, KiB. */
  readonly workerPeakRssKib?: number;
}

export interface BatchPhasesResult {
  readonly rows: readonly BatchRow[];
  /** Peak RSS (VmHWM) of the worker process (interactive + batch workers), per concurrency. */
  readonly peakRssKib: ReadonlyMap<number, number | undefined>;
  /** The worker process's peak RSS once started, before any batch, per concurrency. */
  readonly startPeakRssKib: ReadonlyMap<number, number | undefined>;
}

/** Page size the benchmark runs with (the default). */
const PAGE_SIZE = 500;
const BATCH_TIMEOUT_MS = 15 * 60_000;

/**
 * Runs every (concurrency, size) pair; each concurrency gets a fresh gateway process so its peak
 * RSS is its own.
 *
 * @throws if a gateway does not start, an upload is refused or a batch does not complete.
 */
export async function runBatchPhases(opts: {
  distRoot: string;
  tempDir: string;
  fakeUrl: string;
  infra: BenchInfra;
  cleanup: Cleanup;
  lines: readonly number[];
  concurrencies: readonly number[];
}): Promise<BatchPhasesResult> {
  const connection = await Connection.connect({ address: opts.infra.temporalAddress });
  const client = new Client({ connection, namespace: opts.infra.namespace });
  const rows: BatchRow[] = [];
  const peak = new Map<number, number | undefined>();
  const startPeaks = new Map<number, number | undefined>();
  try {
    for (const concurrency of opts.concurrencies) {
      const configFile = await writeBenchConfig(
        opts.tempDir,
        opts.fakeUrl,
        { batch: { concurrency, page_size: PAGE_SIZE } },
        `switchyard-bench-batch-${concurrency}.yaml`,
      );
      const port = await getFreePort();
      const adminToken = randomBytes(24).toString('hex');
      log(`batch: starting the gateway with batch.concurrency=${concurrency}…`);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TEMPORAL_ADDRESS: opts.infra.temporalAddress,
        TEMPORAL_NAMESPACE: opts.infra.namespace,
        DATABASE_URL: opts.infra.databaseUrl,
        SWITCHYARD_CONFIG: configFile,
        HOST: '127.0.0.1',
        PORT: String(port),
        SWITCHYARD_API_WORKER: 'false',
        LOG_LEVEL: 'warn',
        SWITCHYARD_ADMIN_TOKEN: adminToken,
        // History encrypted under a per-run key, as deployed (api and worker share it).
        SWITCHYARD_HISTORY_KEYS: formatHistoryKeyring(historyKeyring([generateHistoryKey('bench')])),
        [BENCH_KEY_ENV]: BENCH_UPSTREAM_KEY,
      };
      const worker = await startWorkerProcess({
        distRoot: opts.distRoot,
        env: { ...env, LOG_LEVEL: 'info' },
        logFile: path.join(opts.tempDir, `worker-batch-${concurrency}.log`),
        cleanup: opts.cleanup,
      });
      const gateway = await startGatewayProcess({
        distRoot: opts.distRoot,
        port,
        logFile: path.join(opts.tempDir, `api-batch-${concurrency}.log`),
        cleanup: opts.cleanup,
        env,
      }).catch(async (err: unknown) => {
        await worker.stop();
        throw err;
      });
      try {
        const startPeak = peakRssKib(worker.pid);
        log(`  worker peak RSS after start: ${startPeak === undefined ? 'n/a' : `${(startPeak / 1024).toFixed(0)} MiB`}`);
        startPeaks.set(concurrency, startPeak);
        const { key } = await createClientKey(gateway.url, adminToken);
        for (const lines of opts.lines) {
          const row = { ...(await runOneBatch({ url: gateway.url, key, lines, concurrency, client })), workerPeakRssKib: peakRssKib(worker.pid) };
          rows.push(row);
          log(
            `  batch ${lines} lines c=${concurrency}: ${row.itemsPerSecond.toFixed(0)} items/s (${(row.runMs / 1000).toFixed(1)} s; upload ` +
              `${(row.uploadMs / 1000).toFixed(2)} s), ${row.historyEvents} history events in ${row.runs} run(s)`,
          );
        }
        peak.set(concurrency, peakRssKib(worker.pid));
      } finally {
        await gateway.owned.stop();
        await worker.stop();
      }
    }
  } finally {
    await connection.close();
  }
  return { rows, peakRssKib: peak, startPeakRssKib: startPeaks };
}

const WORKER_READY_TIMEOUT_MS = 120_000;

/** `dist/bin/worker.js` as its own process, with the worker's Node flags; resolves once its log says it polls. */
async function startWorkerProcess(opts: { distRoot: string; env: NodeJS.ProcessEnv; logFile: string; cleanup: Cleanup }): Promise<OwnedChild> {
  const fd = openSync(opts.logFile, 'a');
  let owned: OwnedChild;
  try {
    // Started as `npm run worker` starts it, so its memory is what a deployed worker's is.
    owned = spawnOwned(process.execPath, [...WORKER_NODE_FLAGS, path.join(opts.distRoot, 'bin', 'worker.js')], {
      env: { ...WORKER_ENV_DEFAULTS, ...opts.env },
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  opts.cleanup.add('batch bench worker process', () => owned.stop());
  let exited: string | undefined;
  void owned.exited.then((exit) => {
    exited = String(exit.code ?? exit.signal);
  });
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`batch bench worker exited with ${exited}; see ${opts.logFile}`);
    if (readFileSync(opts.logFile, 'utf8').includes('worker polling')) return owned;
    await delay(200);
  }
  await owned.stop();
  throw new Error(`batch bench worker not polling after ${WORKER_READY_TIMEOUT_MS} ms; see ${opts.logFile}`);
}

async function runOneBatch(opts: { url: string; key: string; lines: number; concurrency: number; client: Client }): Promise<BatchRow> {
  const auth = { authorization: `Bearer ${opts.key}` };
  const text = Array.from({ length: opts.lines }, (_, i) =>
    JSON.stringify({
      custom_id: `item-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: BENCH_MODEL, messages: [{ role: 'user', content: `Say hello to item ${i}` }], max_tokens: 16 },
    }),
  ).join('\n');
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([text]), 'bench.jsonl');
  const uploadStarted = performance.now();
  const uploaded = await json<{ id: string }>(await fetch(`${opts.url}/v1/files`, { method: 'POST', headers: auth, body: form }), 'upload');
  const uploadMs = performance.now() - uploadStarted;

  const started = performance.now();
  const created = await json<{ id: string }>(
    await fetch(`${opts.url}/v1/batches`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ input_file_id: uploaded.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    }),
    'create batch',
  );
  let batch: { status: string; request_counts: { completed: number; failed: number } };
  for (;;) {
    batch = await json(await fetch(`${opts.url}/v1/batches/${created.id}`, { headers: auth }), 'get batch');
    if (['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) break;
    if (performance.now() - started > BATCH_TIMEOUT_MS) throw new Error(`batch ${created.id} still ${batch.status} after ${BATCH_TIMEOUT_MS} ms`);
    await delay(50);
  }
  const runMs = performance.now() - started;
  if (batch.status !== 'completed') throw new Error(`batch ${created.id} ended ${batch.status}`);
  const history = await historyEvents(opts.client, batchWorkflowId(created.id));
  return {
    lines: opts.lines,
    concurrency: opts.concurrency,
    uploadMs,
    runMs,
    itemsPerSecond: (opts.lines * 1000) / runMs,
    completed: batch.request_counts.completed,
    failed: batch.request_counts.failed,
    historyEvents: history.events,
    runs: history.runs,
  };
}

/**
 * Events of every run of a workflow: fetches the latest run's history, then follows each run's
 * `continuedExecutionRunId` back to the first one.
 */
async function historyEvents(client: Client, workflowId: string): Promise<{ events: number; runs: number }> {
  let runId: string | undefined;
  let events = 0;
  let runs = 0;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const list = history.events ?? [];
    events += list.length;
    runs++;
    const previous = list[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return { events, runs };
    runId = previous;
  }
}

async function json<T>(res: Response, what: string): Promise<T> {
  const body = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

/** The batch part's markdown table. */
export function renderBatchReport(result: BatchPhasesResult): string {
  const lines = [
    '## Batches (zero-latency fake, page size 500)',
    '',
    '| lines | concurrency | items/s | run s | upload s | completed | failed | history events (runs) | worker peak RSS after it |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.lines} | ${r.concurrency} | ${r.itemsPerSecond.toFixed(0)} | ${(r.runMs / 1000).toFixed(1)} | ${(r.uploadMs / 1000).toFixed(2)} | ` +
        `${r.completed} | ${r.failed} | ${r.historyEvents} (${r.runs}) | ${mib(r.workerPeakRssKib)} |`,
    ),
    '',
    ...[...result.peakRssKib].map(
      ([c, kib]) =>
        `Worker process (interactive + batch workers) peak RSS at concurrency ${c}: ${mib(kib)} (after start, before any batch: ${mib(result.startPeakRssKib.get(c))})`,
    ),
    '',
  ];
  return lines.join('\n');
}

function mib(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`;
}
