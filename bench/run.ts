/**
 * `npm run bench`: measures the gateway's fast path and durable path against a zero-latency
 * fake upstream and against the Temporal floor on the same server, and writes
 * bench/results/latest.md (plus latest.json, git-ignored). BENCH_* variables: see settings.ts.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeUpstream } from '../test/fakes';
import { BENCH_UPSTREAM_KEY, UPSTREAM_MODEL } from './bench-config';
import { renderBatchReport, runBatchPhases, type BatchPhasesResult } from './batch-phases';
import { chooseTransport, type TransportTrial } from './choose-transport';
import { Cleanup } from './cleanup';
import { CpuMeter } from './cpu-meter';
import { FloorVariant } from './floor-protocol';
import { runFloor } from './floor-run';
import { runGatewayPhases, type GatewayPhasesResult } from './gateway-phases';
import { createTransport, type TransportName } from './http-client';
import { chatSpec, checkOnce, runHttpPhase } from './http-phase';
import { startBenchInfra } from './infra';
import { log } from './log';
import { findChildPid } from './proc-stats';
import { calibrateSpeedProbe, QuietGate, waitForIdleProcess } from './quiet';
import { PathName, renderReport, type ResultRow } from './report';
import { describeCommand, describeMachine, describeShapes } from './run-info';
import { cpuProfArgs, PhaseGroup, readBenchSettings } from './settings';
import type { PhaseStats } from './stats';

/** Repository root, from dist/bench/ or bench/. */
const PROJECT_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');
/** The Temporal server's CPU rate (ms/s) counted as idle; it idles at 2–10 here. */
const SERVER_IDLE_MS_PER_S = 20;

/** Longest total wait for a quiet machine, for this process and for the floor driver each. */
const WAIT_BUDGET_MS = 180_000;
/** The compiled tree holding bin/api.js. */
const DIST_ROOT = path.resolve(__dirname, '..');

/** The floors `npm run bench` runs, in order, and their report rows (the other variants are `ab-durable` diagnostics). */
const BENCH_FLOORS: ReadonlyMap<FloorVariant, PathName> = new Map([
  [FloorVariant.LocalActivity, PathName.FloorLocalActivity],
  [FloorVariant.OneActivity, PathName.FloorOneActivity],
  [FloorVariant.Empty, PathName.FloorEmpty],
]);

async function main(): Promise<void> {
  const settings = readBenchSettings();
  const startedAt = new Date();
  const command = describeCommand();
  const machine = describeMachine();
  log(command);
  log(machine);

  const cleanup = new Cleanup(log);
  cleanup.installSignalHandlers();
  try {
    const tempDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-bench-'));
    cleanup.add('temp dir', () => rm(tempDir, { recursive: true, force: true }));
    // As root, Postgres runs as the `postgres` user, which must be able to enter this directory.
    await chmod(tempDir, 0o755);

    const fake = await startFakeUpstream({ record: false });
    cleanup.add('fake upstream', () => fake.close());
    const infra = await startBenchInfra({ tempDir, projectRoot: PROJECT_ROOT, env: process.env, cleanup, log });
    const temporalPid = process.env.TEMPORAL_ADDRESS ? undefined : findChildPid('temporal');
    const gate = new QuietGate({ root: process.pid, referenceProbeMs: calibrateSpeedProbe(), waitBudgetMs: WAIT_BUDGET_MS, log });
    await gate.waitForQuiet();

    const direct = {
      plain: chatSpec({ baseUrl: fake.url, bearer: BENCH_UPSTREAM_KEY, model: UPSTREAM_MODEL, stream: false }),
      stream: chatSpec({ baseUrl: fake.url, bearer: BENCH_UPSTREAM_KEY, model: UPSTREAM_MODEL, stream: true }),
    };
    await checkOnce(direct.plain, 'fake upstream');
    await checkOnce(direct.stream, 'fake upstream (stream)');

    let transportName: TransportName;
    let trials: TransportTrial[] | undefined;
    if (settings.client === 'auto') {
      log('measuring the HTTP clients against the fake upstream…');
      ({ winner: transportName, trials } = await chooseTransport(direct));
      for (const t of trials) {
        log(
          `  ${t.name}: p50 ${t.p50Ms[0].toFixed(2)} / ${t.p50Ms[1].toFixed(2)} ms (c=1 plain / stream); c=16: ${t.rpsC16.toFixed(0)} req/s, ${t.cpuMsPerRequest.toFixed(3)} CPU ms/req`,
        );
      }
    } else {
      transportName = settings.client;
    }
    log(`HTTP client: ${transportName}`);

    const rows: ResultRow[] = [];
    const record = (pathName: PathName, stats: PhaseStats): void => {
      rows.push({ path: pathName, stats });
      const ttft = stats.ttftP50 === undefined ? '' : `, TTFT p50 ${stats.ttftP50.toFixed(2)} ms`;
      const errors = stats.errors > 0 ? `, ${stats.errors} errors (${stats.firstError})` : '';
      log(
        `  ${pathName} c=${stats.concurrency}: ${stats.rps.toFixed(0)} req/s, p50 ${stats.p50?.toFixed(2)} ms, p99 ${stats.p99?.toFixed(2)} ms${ttft}${errors}`,
      );
    };

    if (settings.groups.has(PhaseGroup.Direct)) {
      log('direct phases (fake upstream, no gateway)…');
      const transport = createTransport(transportName);
      const meter = new CpuMeter({ root: process.pid, underTest: undefined, temporal: temporalPid });
      try {
        for (const c of settings.concurrencies) {
          for (const [pathName, spec] of [
            [PathName.Direct, direct.plain],
            [PathName.DirectStream, direct.stream],
          ] as const) {
            const stats = await gate.measure(`${pathName} c=${c}`, () =>
              runHttpPhase({ transport, spec, shape: settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }),
            );
            record(pathName, stats);
          }
        }
      } finally {
        transport.close();
      }
    }

    let floorDriverPeakRssKib: number | undefined;
    if (settings.groups.has(PhaseGroup.Floor)) {
      // Before the gateway starts, so nothing else polls or runs on the server meanwhile.
      log('Temporal floor phases (separate driver process)…');
      const floor = await runFloor(
        {
          temporalAddress: infra.temporalAddress,
          namespace: infra.namespace,
          temporalPid,
          variants: [...BENCH_FLOORS.keys()],
          phases: settings.concurrencies.map((c) => settings.shape(c)),
          maxMeasureMs: settings.maxMeasureMs,
          referenceProbeMs: gate.referenceProbeMs,
          waitBudgetMs: WAIT_BUDGET_MS,
          // The gateway answers early (README "Early answers"): its floor does too.
          earlyAnswers: true,
        },
        cleanup,
        cpuProfArgs(settings, 'floor-driver'),
      );
      for (const result of floor.results) rows.push({ path: floorPath(result.variant), stats: result.stats });
      floorDriverPeakRssKib = floor.peakRssKib;
      if (temporalPid !== undefined && (settings.groups.has(PhaseGroup.Fast) || settings.groups.has(PhaseGroup.Durable))) {
        // The floor's closed workflows still have timers to fire; the gateway's phases start after them.
        const rate = await waitForIdleProcess(temporalPid, { maxMsPerSecond: SERVER_IDLE_MS_PER_S, maxWaitMs: 60_000 });
        log(`Temporal server at ${rate === undefined ? '?' : rate.toFixed(0)} CPU ms/s before the gateway phases`);
      }
    }

    let gatewayResult: GatewayPhasesResult | undefined;
    if (settings.groups.has(PhaseGroup.Fast) || settings.groups.has(PhaseGroup.Durable)) {
      gatewayResult = await runGatewayPhases({
        settings,
        distRoot: DIST_ROOT,
        tempDir,
        fakeUrl: fake.url,
        infra,
        temporalPid,
        transportName,
        record,
        cleanup,
        gate,
      });
    }

    let batchResult: BatchPhasesResult | undefined;
    if (settings.groups.has(PhaseGroup.Batch)) {
      log('batch phases (a gateway process per concurrency)…');
      batchResult = await runBatchPhases({
        distRoot: DIST_ROOT,
        tempDir,
        fakeUrl: fake.url,
        infra,
        cleanup,
        lines: settings.batchLines,
        concurrencies: settings.batchConcurrencies,
      });
    }

    const batchReport = batchResult ? renderBatchReport(batchResult) : '';
    const report = renderReport({
      command,
      startedAt,
      durationS: (Date.now() - startedAt.getTime()) / 1000,
      machine,
      infra: infra.description,
      transport: { winner: transportName, trials },
      shapes: describeShapes(settings),
      rows,
      concurrencies: settings.concurrencies,
      gatewayPeakRssKib: gatewayResult?.peakRssKib,
      floorDriverPeakRssKib,
      idle: gatewayResult?.idle,
      referenceProbeMs: gate.referenceProbeMs,
    });
    process.stdout.write(`\n${report}\n${batchReport}`);
    const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const batch = batchResult && { rows: batchResult.rows, peakRssKib: Object.fromEntries(batchResult.peakRssKib) };
    const json = { command, startedAt, machine, infra: infra.description, transport: transportName, trials, rows, gatewayResult, floorDriverPeakRssKib, batch };
    // A partial or profiled run must not replace the committed results of a full one.
    const partial = settings.groups.size < Object.keys(PhaseGroup).length || settings.cpuProfDir !== undefined;
    const base = partial ? 'partial' : 'latest';
    if (!partial) await writeFile(path.join(resultsDir, 'latest.md'), `${report}\n${batchReport}`, 'utf8');
    if (batchResult) await writeFile(path.join(resultsDir, 'batch-latest.md'), batchReport, 'utf8');
    await writeFile(path.join(resultsDir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`, 'utf8');
    log(
      partial
        ? `partial run (BENCH_ONLY or BENCH_CPU_PROF_DIR): wrote bench/results/partial.json, left latest.md alone`
        : 'wrote bench/results/latest.md and latest.json',
    );
    if (settings.cpuProfDir !== undefined) log(`CPU profiles in ${path.resolve(settings.cpuProfDir)}/{gateway,floor-driver} (open in Chrome DevTools)`);
  } finally {
    log('cleaning up…');
    await cleanup.runAll();
  }
}

function floorPath(variant: FloorVariant): PathName {
  const path = BENCH_FLOORS.get(variant);
  if (!path) throw new Error(`floor variant ${variant} is a diagnostic of bench/ab-durable.ts, not part of npm run bench`);
  return path;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
