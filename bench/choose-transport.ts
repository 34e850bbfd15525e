/**
 * Picks the HTTP client that adds the least overhead, by running both against the fake
 * upstream (in this process) and comparing latency and this process' CPU per request.
 */
import { CpuMeter } from './cpu-meter';
import { createTransport, TransportName, type RequestSpec } from './http-client';
import { runHttpPhase } from './http-phase';

/** Measurements of one client. */
export interface TransportTrial {
  readonly name: TransportName;
  /** p50 ms at concurrency 1: non-streaming, streaming. */
  readonly p50Ms: readonly [number, number];
  /** req/s at concurrency 16, non-streaming. */
  readonly rpsC16: number;
  /** This process' CPU ms per request (client + fake upstream) at concurrency 16. */
  readonly cpuMsPerRequest: number;
}

const TRIAL_REQUESTS = 400;
const TRIAL_WARMUP = 100;
const TRIAL_MAX_MS = 10_000;

/**
 * Measures both clients (each twice, interleaved, best of two) and returns them with the
 * winner: the lower CPU per request, which is what a client adds to every measured number
 * (this process also serves the fake upstream, equally for both).
 */
export async function chooseTransport(direct: { plain: RequestSpec; stream: RequestSpec }): Promise<{ winner: TransportName; trials: TransportTrial[] }> {
  const names = [TransportName.NodeHttp, TransportName.Fetch];
  const best = new Map<TransportName, TransportTrial>();
  for (let round = 0; round < 2; round += 1) {
    for (const name of names) {
      const trial = await runTrial(name, direct);
      const previous = best.get(name);
      if (previous === undefined || trial.cpuMsPerRequest < previous.cpuMsPerRequest) best.set(name, trial);
    }
  }
  const trials = names.map((name) => best.get(name)!);
  const winner = trials.reduce((a, b) => (b.cpuMsPerRequest < a.cpuMsPerRequest ? b : a)).name;
  return { winner, trials };
}

async function runTrial(name: TransportName, direct: { plain: RequestSpec; stream: RequestSpec }): Promise<TransportTrial> {
  const transport = createTransport(name);
  const meter = new CpuMeter({ root: process.pid, underTest: process.pid, temporal: undefined });
  try {
    const shape = (concurrency: number): { concurrency: number; warmup: number; requests: number } => ({
      concurrency,
      warmup: TRIAL_WARMUP,
      requests: TRIAL_REQUESTS,
    });
    const plain1 = await runHttpPhase({ transport, spec: direct.plain, shape: shape(1), maxMeasureMs: TRIAL_MAX_MS, meter });
    const stream1 = await runHttpPhase({ transport, spec: direct.stream, shape: shape(1), maxMeasureMs: TRIAL_MAX_MS, meter });
    const plain16 = await runHttpPhase({ transport, spec: direct.plain, shape: shape(16), maxMeasureMs: TRIAL_MAX_MS, meter });
    return {
      name,
      p50Ms: [plain1.p50 ?? Number.NaN, stream1.p50 ?? Number.NaN],
      rpsC16: plain16.rps,
      cpuMsPerRequest: plain16.cpu?.underTest ?? Number.NaN,
    };
  } finally {
    transport.close();
  }
}
