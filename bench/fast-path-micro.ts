/**
 * A quick, Temporal-free measurement of the streaming fast path: the real Express app (request
 * id, metrics, auth, JSON, validation, the OpenAI adapter) runs in a child process against the
 * fake upstream, with the key lookup stubbed and no Temporal or Postgres behind it (the stream
 * path never touches them). It reports what `npm run bench` judges — TTFT p50 over a direct
 * stream to the fake, and gateway CPU ms per stream — in seconds instead of minutes, so one
 * change at a time can be tried. The full benchmark stays the reference.
 *
 * Run: `npm run build && node dist/bench/fast-path-micro.js`. Environment: MICRO_CONCURRENCY
 * (default `1,16`), MICRO_REQUESTS (measured per level, default 2000), MICRO_WARMUP (requests
 * before each measured part, default max(1000, 20 × concurrency); `npm run bench` uses 50), MICRO_ROUNDS (default 3;
 * every round is listed next to the median), MICRO_CPU_PROF_DIR (a `--cpu-prof` folder for the
 * gateway child), MICRO_COMPARE (the compiled fast-path-micro.js of another build, e.g. a copy of
 * dist/ made before a change: both gateways run side by side in alternating rounds, so machine
 * noise hits them alike), MICRO_FRESH=1 (new gateway processes every round: cold-start rounds),
 * MICRO_RATE_LIMIT=`<rpm>,<tpm>` (the bench key gets those limits, counters in an in-memory store
 * with 1 ms round trips instead of Postgres; the MICRO_COMPARE gateway runs without it, so
 * `MICRO_COMPARE=dist/bench/fast-path-micro.js` measures the limiter's cost alone).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { createApp } from '../api/app';
import { ClientKeys, type ClientKey, type KeyCheck } from '../api/client-keys';
import { mergePolicies } from '../api/policies';
import { parseConfig } from '../config/load-config';
import { NO_POLICY } from '../db/policies';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { ProviderRegistry } from '../providers/registry';
import { MemoryRateLimitStore } from '../ratelimit/memory-store';
import { RateLimiter } from '../ratelimit/rate-limiter';
import { RateLimitScope } from '../ratelimit/store';
import { startFakeUpstream } from '../test/fakes';
import { BENCH_KEY_ENV, BENCH_MODEL, BENCH_UPSTREAM_KEY, UPSTREAM_MODEL } from './bench-config';
import { createTransport, type RequestSpec, type Transport } from './http-client';
import { chatSpec } from './http-phase';
import { runClosedLoop } from './load';
import { processCpuMs } from './proc-stats';
import { percentile } from './stats';

const SERVE_FLAG = '--serve';
const CLIENT_KEY = 'sk-micro-bench';

/** Every key authenticates: the benchmark measures the request path, not the key cache. */
class StaticKeys extends ClientKeys {
  private readonly record: ClientKey = {
    id: 'key_micro',
    tenantId: 'default',
    teamId: null,
    name: 'micro',
    prefix: 'sk-micro',
    budgeted: false,
    expiresAt: null,
    disabled: false,
    revoked: false,
    tags: {},
    keyPolicy: NO_POLICY,
    tenantPolicy: NO_POLICY,
    policy: mergePolicies(NO_POLICY, NO_POLICY),
  };
  constructor() {
    super(unused<Pool>('pool'));
  }
  override async authenticate(): Promise<KeyCheck> {
    return { ok: true, key: this.record };
  }
}

/**
 * The stream path records usage after the stream (whether a budget applies comes with the
 * cached key); this pool answers every query at once, with no rows except the usage record's id,
 * so only the gateway's own work is measured.
 */
function noBudgetsPool(): Pool {
  // The settlement of a caller without budgets is one INSERT … RETURNING id: it gets its row.
  // A statement comes as text or, when named (prepared once per connection), as `{ name, text }`.
  const sqlOf = (q: unknown): string => (typeof q === 'string' ? q : typeof q === 'object' && q !== null && 'text' in q ? String(q.text) : '');
  const query = async (q: unknown) =>
    sqlOf(q).includes('INSERT INTO usage_records') ? { rows: [{ id: 'usage_micro' }], rowCount: 1 } : { rows: [], rowCount: 0 };
  return { query, connect: async () => ({ query, release: () => undefined }) } as unknown as Pool;
}

/** A dependency the stream path must never touch: every use throws. */
function unused<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, prop) => {
      throw new Error(`fast-path micro bench: ${name}.${String(prop)} used`);
    },
  });
}

/** The limiter: no limits, or MICRO_RATE_LIMIT's on the bench key (a store with 1 ms round trips). */
function benchRateLimiter(): RateLimiter {
  const store = new MemoryRateLimitStore(1);
  const spec = process.env.MICRO_RATE_LIMIT;
  if (spec) {
    const [rpm, tpm] = spec.split(',').map((v) => (v ? Number(v) : null));
    store.setLimits({ scope: RateLimitScope.Key, scopeId: 'key_micro' }, { rpm: rpm ?? null, tpm: tpm ?? null });
  }
  const limiter = new RateLimiter({ store });
  limiter.start();
  return limiter;
}

async function serve(fakeUrl: string): Promise<void> {
  const config = parseConfig(
    {
      providers: { 'bench-openai': { type: 'openai', base_url: `${fakeUrl}/v1`, api_key_env: BENCH_KEY_ENV, timeout_ms: 30_000 } },
      models: { [BENCH_MODEL]: { deployments: [{ provider: 'bench-openai', model: UPSTREAM_MODEL }] } },
    },
    { [BENCH_KEY_ENV]: BENCH_UPSTREAM_KEY },
  );
  const app = createApp({
    config,
    pool: noBudgetsPool(),
    temporal: unused<Client>('temporal'),
    providers: new ProviderRegistry(config),
    metrics: createMetrics(),
    logger: createLogger({ level: 'warn' }),
    keys: new StaticKeys(),
    rateLimiter: benchRateLimiter(),
    adminToken: undefined,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  process.send?.({ port: (server.address() as AddressInfo).port });
  // The parent disconnects the IPC channel when done; exit cleanly so --cpu-prof is written.
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

interface Row {
  readonly ttftP50: number;
  readonly cpuMsPerReq: number | undefined;
  readonly rps: number;
}

async function measure(transport: Transport, spec: RequestSpec, c: number, requests: number, pid: number | undefined): Promise<Row> {
  const warmup = process.env.MICRO_WARMUP === undefined ? Math.max(1000, 20 * c) : Number(process.env.MICRO_WARMUP);
  let cpuBefore: number | undefined;
  let cpuAfter: number | undefined;
  const result = await runClosedLoop({
    concurrency: c,
    warmup,
    requests,
    maxMeasureMs: 30_000,
    issue: () => transport.send(spec),
    beforeMeasure: () => (cpuBefore = pid === undefined ? undefined : processCpuMs(pid)),
    afterMeasure: () => (cpuAfter = pid === undefined ? undefined : processCpuMs(pid)),
  });
  if (result.errors > 0) throw new Error(`${result.errors} errors, e.g. ${result.firstError}`);
  const ok = result.latenciesMs.length;
  return {
    ttftP50: percentile(result.ttftsMs, 50) ?? NaN,
    cpuMsPerReq: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / ok,
    rps: (ok * 1000) / result.wallMs,
  };
}

function median(values: number[]): number {
  return percentile(values, 50) ?? NaN;
}

interface Gateway {
  readonly label: string;
  readonly child: ChildProcess;
  readonly spec: RequestSpec;
}

/** Forks `file --serve <fakeUrl>` and waits for the port it listens on. */
async function startGateway(label: string, file: string, fakeUrl: string, profDir: string | undefined): Promise<Gateway> {
  const child = fork(file, [SERVE_FLAG, fakeUrl], {
    execArgv: profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: label === 'compare' ? { ...process.env, MICRO_RATE_LIMIT: '' } : process.env,
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`gateway ${label} exited with ${code}`)));
  });
  return { label, child, spec: chatSpec({ baseUrl: `http://127.0.0.1:${port}`, bearer: CLIENT_KEY, model: BENCH_MODEL, stream: true }) };
}

function fmt(xs: readonly number[]): string {
  return xs.map((x) => x.toFixed(3)).join(' ');
}

async function stopGateway(gateway: Gateway): Promise<void> {
  const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
  gateway.child.disconnect();
  await exited;
}

async function main(): Promise<void> {
  const concurrencies = (process.env.MICRO_CONCURRENCY ?? '1,16').split(',').map(Number);
  const requests = Number(process.env.MICRO_REQUESTS ?? 2000);
  const rounds = Number(process.env.MICRO_ROUNDS ?? 3);
  const profDir = process.env.MICRO_CPU_PROF_DIR;
  // MICRO_FRESH=1: new gateway processes for every round, so each round measures a cold start
  // the way `npm run bench` does (its c=1 phase is the first traffic after a 50-request warm-up).
  const fresh = process.env.MICRO_FRESH === '1';
  // MICRO_COMPARE: another build's compiled fast-path-micro.js, measured in alternating rounds
  // under the same machine noise (e.g. a copy of dist/ from before a change).
  const compare = process.env.MICRO_COMPARE;
  const fake = await startFakeUpstream({ record: false });
  const startAll = async (): Promise<Gateway[]> => {
    const started = [await startGateway('this', __filename, fake.url, profDir)];
    if (compare) started.push(await startGateway('compare', compare, fake.url, undefined));
    return started;
  };
  let gateways = await startAll();
  const transport = createTransport('node:http');
  const direct = chatSpec({ baseUrl: fake.url, bearer: BENCH_UPSTREAM_KEY, model: UPSTREAM_MODEL, stream: true });
  try {
    for (const c of concurrencies) {
      const rows = gateways.map(() => ({ deltas: [] as number[], cpus: [] as number[], rpss: [] as number[] }));
      for (let r = 0; r < rounds; r += 1) {
        if (fresh && r > 0) {
          for (const gateway of gateways) await stopGateway(gateway);
          gateways = await startAll();
        }
        const base = await measure(transport, direct, c, requests, undefined);
        for (const [i, gateway] of gateways.entries()) {
          const fast = await measure(transport, gateway.spec, c, requests, gateway.child.pid);
          rows[i]!.deltas.push(fast.ttftP50 - base.ttftP50);
          rows[i]!.cpus.push(fast.cpuMsPerReq ?? NaN);
          rows[i]!.rpss.push(fast.rps);
        }
      }
      for (const [i, gateway] of gateways.entries()) {
        const { deltas, cpus, rpss } = rows[i]!;
        process.stdout.write(
          `${gateway.label} c=${c}: TTFT p50 delta ms median ${median(deltas).toFixed(3)} [${fmt(deltas)}]; ` +
            `gateway CPU ms/stream median ${median(cpus).toFixed(3)} min ${Math.min(...cpus).toFixed(3)} [${fmt(cpus)}]; req/s ${median(rpss).toFixed(0)}\n`,
        );
      }
    }
  } finally {
    transport.close();
    for (const gateway of gateways) await stopGateway(gateway);
    await fake.close();
  }
}

if (process.argv[2] === SERVE_FLAG) {
  serve(process.argv[3]!).catch((err: unknown) => {
    process.stderr.write(`micro gateway failed: ${String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`fast-path micro bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
