/**
 * A/B harness for the durable path (a development tool, not part of `npm run bench`): starts
 * Postgres, the dev server and the fake upstream once, then runs a fresh gateway process per
 * variant and round, variants interleaved so machine noise hits them alike, and prints p50/p99,
 * req/s and CPU per request of the gateway, the Temporal server and Postgres, plus Postgres
 * transactions per request.
 *
 * Usage: `npm run build && node dist/bench/ab-durable.js '<variants>' [rounds=2] [concurrencies=1]`
 * where `<variants>` maps a name to extra gateway environment, e.g.
 * `'{"now":{},"before":{"AB_DIST":"/tmp/old-checkout/dist"}}'` (`AB_DIST`: the compiled tree of
 * another build to run instead). AB_IDLE_MS measures the gateway at rest first; AB_PROF_DIR
 * writes a `--cpu-prof` profile per run. AB_FLOOR=1 also runs the one-local-activity floor (the checks' floor) each round
 * (AB_FLOOR=<type>[,<type>…]: those floor workflow types instead, e.g. floorLocalActivity, floorOutcome,
 * floorGatewayShape with AB_FLOOR_PAYLOAD / AB_FLOOR_RESULT characters in and out and, with
 * AB_FLOOR_MEMO, a memo of that many characters like the gateway's route plan; the floor answers
 * early as the gateway does unless AB_FLOOR_EARLY=0);
 * AB_TIMELINE=1 prints, after each c=1 phase, the median span between the events of its last
 * 200 workflows (server event times: where the time goes inside Temporal, gateway vs floor);
 * AB_SERVER_METRICS=1 prints the Temporal server's persistence operations and frontend RPCs per
 * request (from its own /metrics; AB_SETTLE_MS waits before the second scrape, AB_METRICS_DUMP
 * keeps each scrape), counts that machine noise does not blur. AB_STREAM=1 measures the streaming
 * fast path instead (same gateway, same key; the Temporal columns then show the server at rest).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { startFakeUpstream } from '../test/fakes';
import { getFreePort } from '../temporal/free-port';
import { BENCH_MODEL, writeBenchConfig } from './bench-config';
import { Cleanup } from './cleanup';
import { CpuMeter } from './cpu-meter';
import { startGatewayProcess } from './gateway-process';
import { createClientKey, gatewayEnv } from './gateway-phases';
import { createTransport } from './http-client';
import { chatSpec, checkOnce, runHttpPhase } from './http-phase';
import { startBenchInfra } from './infra';
import { FloorVariant } from './floor-protocol';
import { runFloor } from './floor-run';
import { historyTimeline } from './history-timeline';
import { findChildPid } from './proc-stats';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DIST_ROOT = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const variants = JSON.parse(process.argv[2] ?? '{"A":{}}') as Record<string, Record<string, string>>;
  const rounds = Number(process.argv[3] ?? 2);
  const conc = (process.argv[4] ?? '1').split(',').map(Number);
  const cleanup = new Cleanup(console.log);
  cleanup.installSignalHandlers();
  try {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-ab-'));
    cleanup.add('temp', () => rm(tempDir, { recursive: true, force: true }));
    await chmod(tempDir, 0o755);
    const fake = await startFakeUpstream({ record: false });
    cleanup.add('fake', () => fake.close());
    const infra = await startBenchInfra({ tempDir, projectRoot: PROJECT_ROOT, env: process.env, cleanup, log: () => {} });
    const temporalPid = findChildPid('temporal');
    const configFile = await writeBenchConfig(tempDir, fake.url);
    const results: Record<string, string[]> = {};
    const metricsUrl = process.env.AB_SERVER_METRICS && temporalPid ? await serverMetricsUrl(temporalPid) : undefined;
    for (let r = 0; r < rounds; r++) {
      for (const floorType of floorWorkflowTypes()) {
        for (const c of conc) {
          const before = metricsUrl ? await persistenceOps(metricsUrl) : undefined;
          const shape = abShape(c);
          const floor = await runFloor(
            {
              temporalAddress: infra.temporalAddress,
              namespace: infra.namespace,
              temporalPid,
              variants: [floorType],
              phases: [shape],
              maxMeasureMs: 30_000,
              referenceProbeMs: 1,
              waitBudgetMs: 0,
              payloadBytes: Number(process.env.AB_FLOOR_PAYLOAD ?? 2000),
              resultBytes: Number(process.env.AB_FLOOR_RESULT ?? 1000),
              memoBytes: Number(process.env.AB_FLOOR_MEMO ?? 0),
              earlyAnswers: process.env.AB_FLOOR_EARLY !== '0',
            },
            cleanup,
            process.env.AB_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AB_PROF_DIR}/${floorType}-${r}-c${c}`] : [],
          );
          const s = floor.results[0]!.stats;
          const line = `${floorType} r${r} c=${c}: p50 ${s.p50?.toFixed(2)} p99 ${s.p99?.toFixed(2)} rps ${s.rps.toFixed(1)} drvCPU ${s.cpu?.underTest?.toFixed(2)} tmpCPU ${s.cpu?.temporal?.toFixed(2)}`;
          console.log(line);
          // Counters first: the timeline's own history reads would count otherwise.
          if (metricsUrl && before) printOpsDelta(floorType, before, await settledOps(metricsUrl));
          if (process.env.AB_TIMELINE && c === 1) await printTimeline(floorType, infra, floorType);
          (results[floorType] ??= []).push(line);
        }
      }
      for (const [name, extra] of Object.entries(variants)) {
        const port = await getFreePort();
        const adminToken = randomBytes(24).toString('hex');
        const local = new Cleanup(() => {});
        const gw = await startGatewayProcess({
          distRoot: extra.AB_DIST ?? DIST_ROOT,
          port,
          logFile: path.join(tempDir, `gw-${name}-${r}.log`),
          cleanup: local,
          nodeArgs: process.env.AB_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AB_PROF_DIR}/${name}-${r}`] : [],
          env: { ...gatewayEnv({ infra, configFile, port, adminToken }), ...extra },
        });
        try {
          const key = (await createClientKey(gw.url, adminToken)).key;
          const stream = process.env.AB_STREAM === '1';
          const spec = chatSpec({ baseUrl: gw.url, bearer: key, model: BENCH_MODEL, stream });
          await checkOnce(spec, stream ? 'stream' : 'durable');
          const idleMs = Number(process.env.AB_IDLE_MS ?? 0);
          if (idleMs > 0) {
            const m = new CpuMeter({ root: process.pid, underTest: gw.pid, temporal: temporalPid });
            m.begin();
            await new Promise((r) => setTimeout(r, idleMs));
            m.finish();
            const b = m.breakdown();
            console.log(
              `${name} idle: gateway ${(((b.underTestMs ?? 0) * 1000) / idleMs).toFixed(1)} ms/s, temporal ${(((b.temporalMs ?? 0) * 1000) / idleMs).toFixed(1)} ms/s`,
            );
          }
          const transport = createTransport('node:http');
          const meter = new CpuMeter({ root: process.pid, underTest: gw.pid, temporal: temporalPid });

          const probe = new Pool({ connectionString: infra.databaseUrl, max: 1 });
          const commits = async (): Promise<number> =>
            Number((await probe.query<{ n: string }>('SELECT sum(xact_commit + xact_rollback)::text AS n FROM pg_stat_database')).rows[0]!.n);
          for (const c of conc) {
            const opsBefore = metricsUrl ? await persistenceOps(metricsUrl) : undefined;
            const before = await commits();
            const shape = abShape(c);
            const s = await runHttpPhase({
              transport,
              spec,
              shape,
              maxMeasureMs: 30_000,
              meter,
            });
            const line = `${name} r${r} c=${c}: p50 ${s.p50?.toFixed(2)} p99 ${s.p99?.toFixed(2)} rps ${s.rps.toFixed(1)} gwCPU ${s.cpu?.underTest?.toFixed(2)} tmpCPU ${s.cpu?.temporal?.toFixed(2)} pg ${s.cpu?.postgres?.toFixed(2)} err ${s.errors}`;
            console.log(line, 'pg xacts/req', ((await commits()) - before) / (s.requests + shape.warmup));
            if (metricsUrl && opsBefore) printOpsDelta(name, opsBefore, await settledOps(metricsUrl));
            if (process.env.AB_TIMELINE && c === 1) await printTimeline(name, infra, 'chatCompletionWorkflow');
            (results[name] ??= []).push(line);
          }
          transport.close();
          await probe.end();
        } finally {
          await local.runAll();
        }
      }
    }
    console.log('==== summary');
    for (const lines of Object.values(results)) for (const l of lines) console.log(l);
  } finally {
    await cleanup.runAll();
  }
}
/** Warm-up and measured requests per phase at concurrency `c`. */
function abShape(c: number): { concurrency: number; warmup: number; requests: number } {
  // Streams take ~1/20 of a durable request's time: more of them, and enough warm-up for the JIT.
  if (process.env.AB_STREAM === '1') return { concurrency: c, warmup: 1000, requests: c === 1 ? 3000 : 200 * c };
  return { concurrency: c, warmup: c === 1 ? 100 : 4 * c, requests: c === 1 ? 400 : 30 * c };
}

/** AB_FLOOR: unset, none; `1`, the one-local-activity floor; else a comma-separated list of floor workflow types. */
function floorWorkflowTypes(): FloorVariant[] {
  const value = process.env.AB_FLOOR;
  if (!value) return [];
  if (value === '1') return [FloorVariant.LocalActivity];
  const known: readonly string[] = Object.values(FloorVariant);
  return value.split(',').map((v) => {
    if (!known.includes(v)) throw new Error(`AB_FLOOR: unknown floor workflow type ${v} (known: ${known.join(', ')})`);
    return v as FloorVariant;
  });
}

async function printTimeline(name: string, infra: { temporalAddress: string; namespace: string }, workflowType: string): Promise<void> {
  const spans = await historyTimeline({ address: infra.temporalAddress, namespace: infra.namespace, workflowType, runs: 200 });
  console.log(
    `${name} timeline (median ms): ${Object.entries(spans)
      .map(([span, ms]) => `${span} ${ms.toFixed(2)}`)
      .join('; ')}`,
  );
}

/** The dev server's /metrics address: whichever of its listening ports answers it. */
async function serverMetricsUrl(pid: number): Promise<string | undefined> {
  const ports = [...execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' }).matchAll(/:(\d+)\s.*pid=(\d+)/g)].filter((m) => Number(m[2]) === pid).map((m) => m[1]);
  for (const port of ports) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    if (res?.ok) return `http://127.0.0.1:${port}/metrics`;
  }
  return undefined;
}

/** Persistence (and visibility) request counters by operation, and the frontend's RPCs (`rpc:`). */
async function persistenceOps(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  if (process.env.AB_METRICS_DUMP) await writeFile(`${process.env.AB_METRICS_DUMP}-${Date.now()}.txt`, text);
  const ops = new Map<string, number>();
  for (const m of text.matchAll(/^(persistence_requests|visibility_persistence_requests|service_requests)\{([^}]*)\} (\S+)$/gm)) {
    const op = /operation="([^"]+)"/.exec(m[2]!)?.[1] ?? '?';
    if (m[1] === 'service_requests' && !m[2]!.includes('service_name="frontend"')) continue;
    const key = `${m[1] === 'persistence_requests' ? '' : m[1] === 'service_requests' ? 'rpc:' : 'vis:'}${op}`;
    ops.set(key, (ops.get(key) ?? 0) + Number(m[3]));
  }
  return ops;
}

/** The counters after AB_SETTLE_MS (default 0): long enough, the timers the runs set have fired too. */
async function settledOps(url: string): Promise<Map<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.AB_SETTLE_MS ?? 0)));
  return persistenceOps(url);
}

/** Prints the operations per workflow started (CreateWorkflowExecution) between two scrapes. */
function printOpsDelta(name: string, before: Map<string, number>, after: Map<string, number>): void {
  const started = 'CreateWorkflowExecution';
  const requests = Math.max(1, (after.get(started) ?? 0) - (before.get(started) ?? 0));
  const parts: string[] = [];
  let total = 0;
  for (const [op, n] of after) {
    const d = (n - (before.get(op) ?? 0)) / requests;
    if (d >= 0.05) parts.push(`${op}=${d.toFixed(2)}`);
    // RPCs are listed, not added to the persistence total.
    if (!op.startsWith('rpc:')) total += d;
  }
  console.log(`${name} persistence ops/req ${total.toFixed(2)}: ${parts.sort().join(' ')}`);
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
