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
 * writes a `--cpu-prof` profile per run.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
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
    for (let r = 0; r < rounds; r++) {
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
          const spec = chatSpec({ baseUrl: gw.url, bearer: key, model: BENCH_MODEL, stream: false });
          await checkOnce(spec, 'durable');
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
            const before = await commits();
            const s = await runHttpPhase({
              transport,
              spec,
              shape: { concurrency: c, warmup: c === 1 ? 100 : 4 * c, requests: c === 1 ? 400 : 30 * c },
              maxMeasureMs: 30_000,
              meter,
            });
            const line = `${name} r${r} c=${c}: p50 ${s.p50?.toFixed(2)} p99 ${s.p99?.toFixed(2)} rps ${s.rps.toFixed(1)} gwCPU ${s.cpu?.underTest?.toFixed(2)} tmpCPU ${s.cpu?.temporal?.toFixed(2)} pg ${s.cpu?.postgres?.toFixed(2)} err ${s.errors}`;
            console.log(line, 'pg xacts/req', ((await commits()) - before) / (s.requests + (c === 1 ? 100 : 4 * c)));
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
void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
