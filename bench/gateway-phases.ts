/**
 * The phases against the gateway: it is started as its own process, given a client key, watched
 * at rest, then loaded on the fast path (streams) and the durable path (non-streaming).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { getFreePort } from '../temporal/free-port';
import { formatHistoryKeyring, generateHistoryKey, historyKeyring } from '../temporal/history-keyring';
import { BENCH_KEY_ENV, BENCH_MODEL, BENCH_UPSTREAM_KEY, writeBenchConfig } from './bench-config';
import type { Cleanup } from './cleanup';
import { CpuMeter } from './cpu-meter';
import { startGatewayProcess } from './gateway-process';
import { createTransport, type RequestSpec, type Transport, type TransportName } from './http-client';
import { chatSpec, checkOnce, runHttpPhase } from './http-phase';
import type { BenchInfra } from './infra';
import { runClosedLoop } from './load';
import { log } from './log';
import { peakRssKib } from './proc-stats';
import type { QuietGate } from './quiet';
import { PathName, type IdleCpu } from './report';
import { cpuProfArgs, PhaseGroup, type BenchSettings } from './settings';
import type { PhaseStats } from './stats';

/** How long the gateway is watched doing nothing. */
const IDLE_WINDOW_MS = 3_000;

/** What the gateway phases report besides their rows. */
export interface GatewayPhasesResult {
  readonly peakRssKib: number | undefined;
  readonly idle: IdleCpu;
}

/**
 * Starts the gateway (`node dist/bin/api.js`), runs the selected gateway phases at every
 * concurrency, and stops it gracefully (so a `--cpu-prof` profile is written).
 *
 * @throws if the gateway does not become ready, a key cannot be issued, or a first request fails.
 */
export async function runGatewayPhases(opts: {
  settings: BenchSettings;
  distRoot: string;
  tempDir: string;
  fakeUrl: string;
  infra: BenchInfra;
  temporalPid: number | undefined;
  transportName: TransportName;
  record: (pathName: PathName, stats: PhaseStats) => void;
  cleanup: Cleanup;
  gate: QuietGate;
}): Promise<GatewayPhasesResult> {
  const { settings } = opts;
  const configFile = await writeBenchConfig(opts.tempDir, opts.fakeUrl);
  const port = await getFreePort();
  const adminToken = randomBytes(24).toString('hex');
  log('starting the gateway (node dist/bin/api.js)…');
  const gateway = await startGatewayProcess({
    distRoot: opts.distRoot,
    port,
    logFile: path.join(opts.tempDir, 'gateway.log'),
    cleanup: opts.cleanup,
    nodeArgs: cpuProfArgs(settings, 'gateway'),
    env: gatewayEnv({ infra: opts.infra, configFile, port, adminToken }),
  });
  log(`gateway ready at ${gateway.url} (pid ${gateway.pid})`);
  const transport = createTransport(opts.transportName);
  try {
    const clientKey = (await createClientKey(gateway.url, adminToken)).key;
    // A second key with limits far above the load: its phase shows what the limiter costs.
    const limited = await createClientKey(gateway.url, adminToken);
    await setRateLimit(gateway.url, adminToken, limited.id);
    const meter = new CpuMeter({ root: process.pid, underTest: gateway.pid, temporal: opts.temporalPid });
    await opts.gate.waitForQuiet();
    const idle = await measureIdle(meter);
    log(`  at rest: gateway ${idle.gatewayMsPerS?.toFixed(1)} CPU ms/s, Temporal server ${idle.temporalMsPerS?.toFixed(1)} CPU ms/s`);

    const phases = [
      { group: PhaseGroup.Fast, path: PathName.FastPath, stream: true, key: clientKey, warmup: PROCESS_WARMUP.stream },
      { group: PhaseGroup.Fast, path: PathName.FastPathLimited, stream: true, key: limited.key, warmup: PROCESS_WARMUP.stream },
      { group: PhaseGroup.Durable, path: PathName.Durable, stream: false, key: clientKey, warmup: PROCESS_WARMUP.durable },
    ] as const;
    for (const phase of phases) {
      if (!settings.groups.has(phase.group)) continue;
      const spec = chatSpec({ baseUrl: gateway.url, bearer: phase.key, model: BENCH_MODEL, stream: phase.stream });
      await checkOnce(spec, `gateway ${phase.path}`);
      await warmProcess(transport, spec, phase.warmup, settings.maxMeasureMs);
      log(`${phase.path} phases…`);
      for (const c of settings.concurrencies) {
        const stats = await opts.gate.measure(`${phase.path} c=${c}`, () =>
          runHttpPhase({ transport, spec, shape: phase.stream ? settings.fastShape(c) : settings.shape(c), maxMeasureMs: settings.maxMeasureMs, meter }),
        );
        opts.record(phase.path, stats);
      }
    }
    return { peakRssKib: peakRssKib(gateway.pid), idle };
  } finally {
    transport.close();
    await gateway.owned.stop();
  }
}

/**
 * Requests each path gets, at concurrency {@link PROCESS_WARMUP_CONCURRENCY}, before its first
 * measured phase (on top of each phase's own warm-up): a gateway in production has run its code
 * paths many thousand times, and a fresh process needs about this many before V8 has optimised
 * them. Without it the first phase (c=1) measured a half-warm process: 2.2–2.5 ms CPU per stream
 * against 1.0–1.1 ms for the same code in a later phase.
 */
export const PROCESS_WARMUP = { stream: 2_000, durable: 300 } as const;
export const PROCESS_WARMUP_CONCURRENCY = 4;

async function warmProcess(transport: Transport, spec: RequestSpec, requests: number, maxMs: number): Promise<void> {
  await runClosedLoop({
    concurrency: PROCESS_WARMUP_CONCURRENCY,
    warmup: requests,
    requests: 1,
    maxMeasureMs: maxMs,
    issue: () => transport.send(spec),
  });
}

/** The environment of a benchmarked gateway process (`node dist/bin/api.js`). */
export function gatewayEnv(opts: { infra: BenchInfra; configFile: string; port: number; adminToken: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: opts.infra.temporalAddress,
    TEMPORAL_NAMESPACE: opts.infra.namespace,
    DATABASE_URL: opts.infra.databaseUrl,
    SWITCHYARD_CONFIG: opts.configFile,
    HOST: '127.0.0.1',
    PORT: String(opts.port),
    SWITCHYARD_API_WORKER: 'true',
    LOG_LEVEL: 'warn',
    SWITCHYARD_ADMIN_TOKEN: opts.adminToken,
    // The durable path is measured as deployed: history encrypted under a per-run key.
    SWITCHYARD_HISTORY_KEYS: formatHistoryKeyring(historyKeyring([generateHistoryKey('bench')])),
    [BENCH_KEY_ENV]: BENCH_UPSTREAM_KEY,
  };
}

/** CPU the gateway and the Temporal server use with no requests (pollers, timers), per second. */
async function measureIdle(meter: CpuMeter): Promise<IdleCpu> {
  meter.begin();
  await delay(IDLE_WINDOW_MS);
  meter.finish();
  const cpu = meter.breakdown();
  const perSecond = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : (ms * 1000) / IDLE_WINDOW_MS);
  return { gatewayMsPerS: perSecond(cpu.underTestMs), temporalMsPerS: perSecond(cpu.temporalMs) };
}

/** Sets rpm/tpm limits on a key that the bench load never reaches (PUT /admin/rate-limits). */
async function setRateLimit(gatewayUrl: string, adminToken: string, keyId: string): Promise<void> {
  const res = await fetch(`${gatewayUrl}/admin/rate-limits/key/${keyId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ rpm: 10_000_000, tpm: 1_000_000_000 }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 200 && res.status !== 201) throw new Error(`PUT /admin/rate-limits: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

/** Issues a client key through POST /admin/keys. */
export async function createClientKey(gatewayUrl: string, adminToken: string): Promise<{ id: string; key: string }> {
  const res = await fetch(`${gatewayUrl}/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: 'bench' }),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await res.json();
  if (
    res.status !== 201 ||
    typeof body !== 'object' ||
    body === null ||
    !('key' in body) ||
    typeof body.key !== 'string' ||
    !('id' in body) ||
    typeof body.id !== 'string'
  ) {
    throw new Error(`POST /admin/keys: HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { id: body.id, key: body.key };
}
