/**
 * `npm run bench`: measures the gateway's fast path and durable path against a zero-latency
 * fake upstream and against the Temporal floor on the same server, and writes
 * bench/results/latest.md (plus latest.json, git-ignored).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeUpstream } from '../test/fakes';
import { getFreePort } from '../temporal/free-port';
import { BENCH_KEY_ENV, BENCH_MODEL, BENCH_UPSTREAM_KEY, UPSTREAM_MODEL, writeBenchConfig } from './bench-config';
import { chooseTransport, type TransportTrial } from './choose-transport';
import { Cleanup } from './cleanup';
import { CpuMeter } from './cpu-meter';
import { FloorVariant } from './floor-protocol';
import { runFloor } from './floor-run';
import { startGatewayProcess } from './gateway-process';
import { createTransport, type TransportName } from './http-client';
import { chatSpec, checkOnce, runHttpPhase } from './http-phase';
import { startBenchInfra } from './infra';
import { findChildPid, peakRssKib } from './proc-stats';
import { PathName, renderReport, type ResultRow } from './report';
import { PhaseGroup, readBenchSettings, type BenchSettings } from './settings';
import type { PhaseStats } from './stats';

/** Repository root, from dist/bench/ or bench/. */
const PROJECT_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');
const DIST_ROOT = path.resolve(__dirname, '..');

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(): Promise<void> {
  const settings = readBenchSettings();
  const startedAt = new Date();
  const command = `npm run bench${describeOverrides()}`;
  const machine = describeMachine();
  log(`${command}`);
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
      const chosen = await chooseTransport(direct);
      transportName = chosen.winner;
      trials = chosen.trials;
      for (const t of trials) {
        log(`  ${t.name}: p50 ${t.p50Ms[0].toFixed(2)} / ${t.p50Ms[1].toFixed(2)} ms (c=1 plain / stream); c=16: ${t.rpsC16.toFixed(0)} req/s, ${t.cpuMsPerRequest.toFixed(3)} CPU ms/req`);
      }
    } else {
      transportName = settings.client;
    }
    log(`HTTP client: ${transportName}`);
    const transport = createTransport(transportName);
    cleanup.add('HTTP client', async () => transport.close());

    const rows: ResultRow[] = [];
    const record = (pathName: PathName, stats: PhaseStats): void => {
      rows.push({ path: pathName, stats });
      const ttft = stats.ttftP50 === undefined ? '' : `, TTFT p50 ${stats.ttftP50.toFixed(2)} ms`;
      const errors = stats.errors > 0 ? `, ${stats.errors} errors (${stats.firstError})` : '';
      log(`  ${pathName} c=${stats.concurrency}: ${stats.rps.toFixed(0)} req/s, p50 ${stats.p50?.toFixed(2)} ms, p99 ${stats.p99?.toFixed(2)} ms${ttft}${errors}`);
    };

    if (settings.groups.has(PhaseGroup.Direct)) {
      log('direct phases (fake upstream, no gateway)…');
      const meter = new CpuMeter({ root: process.pid, underTest: undefined, temporal: temporalPid });
      for (const c of settings.concurrencies) {
        record(PathName.Direct, await runHttpPhase({ transport, spec: direct.plain, shape: settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }));
        record(PathName.DirectStream, await runHttpPhase({ transport, spec: direct.stream, shape: settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }));
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
          variants: [FloorVariant.OneActivity, FloorVariant.Empty],
          phases: settings.concurrencies.map((c) => settings.shape(c)),
          maxMeasureMs: settings.maxMeasureMs,
        },
        cleanup,
      );
      for (const result of floor.results) {
        record(result.variant === FloorVariant.Empty ? PathName.FloorEmpty : PathName.FloorOneActivity, result.stats);
      }
      floorDriverPeakRssKib = floor.peakRssKib;
    }

    let gatewayPeakRssKib: number | undefined;
    if (settings.groups.has(PhaseGroup.Fast) || settings.groups.has(PhaseGroup.Durable)) {
      gatewayPeakRssKib = await runGatewayPhases({ settings, tempDir, fakeUrl: fake.url, infra, temporalPid, transportName, record, cleanup });
    }

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
      gatewayPeakRssKib,
      floorDriverPeakRssKib,
    });
    process.stdout.write(`\n${report}`);
    const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    await writeFile(path.join(resultsDir, 'latest.md'), report, 'utf8');
    await writeFile(
      path.join(resultsDir, 'latest.json'),
      `${JSON.stringify({ command, startedAt, machine, infra: infra.description, transport: transportName, trials, rows, gatewayPeakRssKib, floorDriverPeakRssKib }, null, 2)}\n`,
      'utf8',
    );
    log(`wrote ${path.relative(PROJECT_ROOT, path.join(resultsDir, 'latest.md'))}`);
  } finally {
    log('cleaning up…');
    await cleanup.runAll();
  }
}

async function runGatewayPhases(opts: {
  settings: BenchSettings;
  tempDir: string;
  fakeUrl: string;
  infra: { databaseUrl: string; temporalAddress: string; namespace: string };
  temporalPid: number | undefined;
  transportName: TransportName;
  record: (pathName: PathName, stats: PhaseStats) => void;
  cleanup: Cleanup;
}): Promise<number | undefined> {
  const { settings } = opts;
  const configFile = await writeBenchConfig(opts.tempDir, opts.fakeUrl);
  const port = await getFreePort();
  const adminToken = randomBytes(24).toString('hex');
  log('starting the gateway (node dist/bin/api.js)…');
  const gateway = await startGatewayProcess({
    distRoot: DIST_ROOT,
    port,
    logFile: path.join(opts.tempDir, 'gateway.log'),
    cleanup: opts.cleanup,
    nodeArgs: settings.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(settings.cpuProfDir)}`] : [],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: opts.infra.temporalAddress,
      TEMPORAL_NAMESPACE: opts.infra.namespace,
      DATABASE_URL: opts.infra.databaseUrl,
      SWITCHYARD_CONFIG: configFile,
      HOST: '127.0.0.1',
      PORT: String(port),
      SWITCHYARD_API_WORKER: 'true',
      LOG_LEVEL: 'warn',
      SWITCHYARD_ADMIN_TOKEN: adminToken,
      [BENCH_KEY_ENV]: BENCH_UPSTREAM_KEY,
    },
  });
  log(`gateway ready at ${gateway.url} (pid ${gateway.pid})`);
  const clientKey = await createClientKey(gateway.url, adminToken);
  const transport = createTransport(opts.transportName);
  try {
    const fast = chatSpec({ baseUrl: gateway.url, bearer: clientKey, model: BENCH_MODEL, stream: true });
    const durable = chatSpec({ baseUrl: gateway.url, bearer: clientKey, model: BENCH_MODEL, stream: false });
    const meter = new CpuMeter({ root: process.pid, underTest: gateway.pid, temporal: opts.temporalPid });
    if (settings.groups.has(PhaseGroup.Fast)) {
      await checkOnce(fast, 'gateway fast path');
      log('fast-path phases (gateway, stream: true)…');
      for (const c of settings.concurrencies) {
        opts.record(PathName.FastPath, await runHttpPhase({ transport, spec: fast, shape: settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }));
      }
    }
    if (settings.groups.has(PhaseGroup.Durable)) {
      await checkOnce(durable, 'gateway durable path');
      log('durable phases (gateway, non-streaming)…');
      for (const c of settings.concurrencies) {
        opts.record(PathName.Durable, await runHttpPhase({ transport, spec: durable, shape: settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }));
      }
    }
    return peakRssKib(gateway.pid);
  } finally {
    transport.close();
    // A graceful stop, so a --cpu-prof profile gets written.
    await gateway.owned.stop();
  }
}

async function createClientKey(gatewayUrl: string, adminToken: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'bench' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await res.json();
  if (res.status !== 201 || typeof body !== 'object' || body === null || !('key' in body) || typeof body.key !== 'string') {
    throw new Error(`POST /admin/keys: HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return body.key;
}

function describeMachine(): string {
  const cpus = os.cpus();
  return [
    `nproc ${os.availableParallelism()}`,
    `${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `${os.type()} ${os.release()}`,
    `node ${process.version}`,
  ].join(', ');
}

function describeOverrides(): string {
  const set = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`);
  return set.length === 0 ? '' : ` (with ${set.join(' ')})`;
}

function describeShapes(settings: BenchSettings): string {
  const shapes = settings.concurrencies.map((c) => {
    const s = settings.shape(c);
    return `c=${c}: ${s.warmup} warm-up + ${s.requests} measured`;
  });
  return `${shapes.join('; ')} per phase, each part capped at ${settings.maxMeasureMs / 1000} s`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
