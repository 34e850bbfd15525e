/**
 * Renders the benchmark results as markdown: the results table, the CPU breakdown, and the
 * derived checks against the targets.
 */
import type { TransportTrial } from './choose-transport';
import type { TransportName } from './http-client';
import { benchmarkCpu, isNoisy, isSlowCpu, type PhaseStats } from './stats';

/** Table rows, in print order. */
export const PathName = {
  Direct: 'direct',
  DirectStream: 'direct stream',
  FastPath: 'fast path (stream)',
  FastPathLimited: 'fast path, rate-limited key',
  Durable: 'durable',
  /** The floor the checks use: the durable path's default mechanism (`durable.attempts: local_activity`). */
  FloorLocalActivity: 'floor: 1 local activity',
  FloorOneActivity: 'floor: 1 activity',
  FloorEmpty: 'floor: empty workflow',
} as const;
/** One of the {@link PathName} values. */
export type PathName = (typeof PathName)[keyof typeof PathName];

/** One measured phase. */
export interface ResultRow {
  readonly path: PathName;
  readonly stats: PhaseStats;
}

/** CPU ms per second of wall time with no requests in flight. */
export interface IdleCpu {
  readonly gatewayMsPerS: number | undefined;
  readonly temporalMsPerS: number | undefined;
}

/** Everything the report shows. */
export interface BenchReport {
  readonly command: string;
  readonly startedAt: Date;
  readonly durationS: number;
  readonly machine: string;
  readonly infra: string;
  readonly transport: { readonly winner: TransportName; readonly trials: readonly TransportTrial[] | undefined };
  readonly shapes: string;
  readonly rows: readonly ResultRow[];
  readonly concurrencies: readonly number[];
  readonly gatewayPeakRssKib: number | undefined;
  readonly floorDriverPeakRssKib: number | undefined;
  /** The gateway and Temporal server at rest, when the gateway ran. */
  readonly idle: IdleCpu | undefined;
  /** Fastest CPU probe of the run (quiet.ts), ms: compare runs by it. */
  readonly referenceProbeMs: number;
}

/** Targets the checks are judged against. */
export const TARGETS = {
  fastTtftOverheadMs: 1,
  fastCpuMsPerStream: 0.5,
  limiterOverheadMs: 1,
  durableOverFloorMs: 3,
  durableOverDirectMs: 15,
  durableVsFloorThroughput: 0.9,
  durableRps: 150,
} as const;

const PATH_ORDER: readonly PathName[] = Object.values(PathName);

/** The full markdown document. */
export function renderReport(r: BenchReport): string {
  const rows = [...r.rows].sort((a, b) => PATH_ORDER.indexOf(a.path) - PATH_ORDER.indexOf(b.path) || a.stats.concurrency - b.stats.concurrency);
  return [
    '# Switchyard benchmark',
    '',
    `Command: \`${r.command}\`  `,
    `Date: ${r.startedAt.toISOString()} (run took ${r.durationS.toFixed(0)} s)  `,
    `Machine: ${r.machine}; CPU probe ${r.referenceProbeMs.toFixed(1)} ms at best (lower is faster; compare runs by it)  `,
    `Infrastructure: ${r.infra}; fake upstream (zero latency) in the benchmark process; gateway = \`node dist/bin/api.js\` (API + interactive worker in one process)  `,
    `Load: closed loop, ${r.shapes}  `,
    `HTTP client: ${describeTransport(r.transport)}`,
    '',
    '## Results',
    '',
    '| path | concurrency | req/s | p50 ms | p99 ms | TTFT p50 ms | TTFT p99 | gateway CPU ms/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(resultLine),
    '',
    'Floor rows run in their own driver process (worker + client on one NativeConnection, eager start, answered early from the workflow\'s sink like the gateway with `result()` as the fallback, no gateway running); their CPU column is that driver\'s CPU per workflow. "floor: 1 local activity" is the floor the checks use: the same mechanism as the durable path (one workflow task with one local activity, `durable.attempts: local_activity`, the default). "floor: 1 activity" is the floor of `durable.attempts: activity` (two workflow tasks around one regular activity), shown for comparison.',
    ...problems(rows),
    '',
    '## Where the CPU goes (ms per request)',
    '',
    '| path | concurrency | requests | errors | gateway / floor driver | Temporal server | Postgres | bench process (load + fake) | benchmark total | outside the benchmark | CPU probe vs best |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(cpuLine),
    '',
    "CPU per request includes each process's background work during the phase (pollers, timers, GC); at low request rates that share is larger." +
      (r.idle
        ? ` At rest the gateway uses ${fixed(r.idle.gatewayMsPerS, 1)} CPU ms/s and the Temporal server ${fixed(r.idle.temporalMsPerS, 1)} CPU ms/s.`
        : ''),
    '',
    '## Checks',
    '',
    ...renderChecks(r, rows),
    '',
  ].join('\n');
}

function describeTransport(t: BenchReport['transport']): string {
  if (t.trials === undefined) return `${t.winner} (chosen with BENCH_CLIENT)`;
  const trials = t.trials
    .map(
      (x) =>
        `${x.name}: p50 ${ms(x.p50Ms[0])} / ${ms(x.p50Ms[1])} ms (plain / stream, c=1), ${x.rpsC16.toFixed(0)} req/s and ${x.cpuMsPerRequest.toFixed(3)} CPU ms/req at c=16`,
    )
    .join('; ');
  return `${t.winner}, the lower client CPU per request against the fake upstream (${trials})`;
}

function resultLine(row: ResultRow): string {
  const s = row.stats;
  const isFloor = row.path === PathName.FloorLocalActivity || row.path === PathName.FloorOneActivity || row.path === PathName.FloorEmpty;
  const isDirect = row.path === PathName.Direct || row.path === PathName.DirectStream;
  const cpu = isDirect ? '—' : `${fixed(s.cpu?.underTest, 2)}${isFloor ? ' (driver)' : ''}`;
  return `| ${row.path} | ${s.concurrency} | ${s.rps.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.ttftP50)} | ${ms(s.ttftP99)} | ${cpu} |`;
}

function cpuLine(row: ResultRow): string {
  const c = row.stats.cpu;
  const isDirect = row.path === PathName.Direct || row.path === PathName.DirectStream;
  const total = benchmarkCpu(row.stats);
  return `| ${row.path} | ${row.stats.concurrency} | ${row.stats.requests} | ${row.stats.errors} | ${isDirect ? '—' : fixed(c?.underTest, 2)} | ${fixed(c?.temporal, 2)} | ${fixed(c?.postgres, 2)} | ${fixed(c?.bench, 2)} | ${fixed(total, 2)} | ${fixed(c?.outside, 2)} | ${row.stats.cpuSlowdown === undefined ? 'n/a' : `${row.stats.cpuSlowdown.toFixed(2)}×`} |`;
}

function problems(rows: readonly ResultRow[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const s = row.stats;
    if (s.errors > 0) out.push(`- ⚠ ${row.path} c=${s.concurrency}: ${s.errors} of ${s.requests} requests failed (first: ${s.firstError ?? 'unknown'})`);
    if (s.timeBound) out.push(`- ${row.path} c=${s.concurrency}: stopped by the phase time bound after ${s.requests} requests`);
    if (isSlowCpu(s)) {
      out.push(
        `- ⚠ ${row.path} c=${s.concurrency}: slow CPU — the probe ran ${fixed(s.cpuSlowdown, 2)}× its best around this phase (other guests on the host?)`,
      );
    }
    if (isNoisy(s)) {
      out.push(
        `- ⚠ ${row.path} c=${s.concurrency}: noisy — processes outside the benchmark used ${fixed(s.cpu?.outside, 1)} CPU ms per request (the benchmark itself ${fixed(benchmarkCpu(s), 1)})`,
      );
    }
  }
  return out.length === 0 ? [] : ['', ...out];
}

type Verdict = 'pass' | 'fail' | 'info';

interface Cell {
  readonly text: string;
  readonly verdict: Verdict;
}

/**
 * Latency targets are judged at concurrency 1 (an unloaded gateway; at 16 and 64 on a small
 * machine latency is queueing for CPU); throughput at 16 and 64; CPU per stream at every level.
 */
function renderChecks(r: BenchReport, rows: readonly ResultRow[]): string[] {
  const find = (path: PathName, c: number): PhaseStats | undefined => rows.find((x) => x.path === path && x.stats.concurrency === c)?.stats;
  const cs = r.concurrencies;
  const lowest = Math.min(...cs);
  const latencyJudged = (c: number): boolean => c === lowest;
  const throughputJudged = (c: number): boolean => c >= 16;

  const lines: Array<{ name: string; target: string; cells: Cell[] }> = [
    {
      name: 'fast-path TTFT p50 − direct stream TTFT p50',
      target: `≤ ${TARGETS.fastTtftOverheadMs} ms (judged at c=${lowest})`,
      cells: cs.map((c) =>
        diffCell(find(PathName.FastPath, c)?.ttftP50, find(PathName.DirectStream, c)?.ttftP50, TARGETS.fastTtftOverheadMs, latencyJudged(c)),
      ),
    },
    {
      // Same gateway, same requests; only the key differs: one with rpm/tpm limits (far above
      // the load, so none is refused) against one without. The key check is in both.
      name: 'rate-limited key TTFT p50 − unlimited key TTFT p50',
      target: `≤ ${TARGETS.limiterOverheadMs} ms (judged at c=${lowest})`,
      cells: cs.map((c) =>
        diffCell(find(PathName.FastPathLimited, c)?.ttftP50, find(PathName.FastPath, c)?.ttftP50, TARGETS.limiterOverheadMs, latencyJudged(c)),
      ),
    },
    {
      name: 'fast-path gateway CPU per stream',
      target: `≤ ${TARGETS.fastCpuMsPerStream} ms (every level)`,
      cells: cs.map((c) => limitCell(find(PathName.FastPath, c)?.cpu?.underTest, TARGETS.fastCpuMsPerStream, true, 2)),
    },
    {
      name: 'durable p50 − floor p50 (1 local activity)',
      target: `≤ ${TARGETS.durableOverFloorMs} ms (judged at c=${lowest})`,
      cells: cs.map((c) => diffCell(find(PathName.Durable, c)?.p50, find(PathName.FloorLocalActivity, c)?.p50, TARGETS.durableOverFloorMs, latencyJudged(c))),
    },
    {
      name: 'durable p50 − direct p50',
      target: `≤ ${TARGETS.durableOverDirectMs} ms (judged at c=${lowest})`,
      cells: cs.map((c) => diffCell(find(PathName.Durable, c)?.p50, find(PathName.Direct, c)?.p50, TARGETS.durableOverDirectMs, latencyJudged(c))),
    },
    {
      name: 'durable req/s ÷ floor req/s (1 local activity)',
      target: `≥ ${TARGETS.durableVsFloorThroughput * 100} % (judged at c ≥ 16)`,
      cells: cs.map((c) => ratioCell(find(PathName.Durable, c)?.rps, find(PathName.FloorLocalActivity, c)?.rps, throughputJudged(c))),
    },
    {
      name: 'durable req/s (floor req/s)',
      target: `≥ ${TARGETS.durableRps} req/s; the floor is the real bound`,
      cells: cs.map((c) => rpsCell(find(PathName.Durable, c)?.rps, find(PathName.FloorLocalActivity, c)?.rps, throughputJudged(c))),
    },
  ];
  const mark = (v: Verdict): string => (v === 'pass' ? ' ✅' : v === 'fail' ? ' ❌' : '');
  const out = [
    `| check | ${cs.map((c) => `c=${c}`).join(' | ')} | target |`,
    `|---|${cs.map(() => '---:').join('|')}|---|`,
    ...lines.map((l) => `| ${l.name} | ${l.cells.map((cell) => `${cell.text}${mark(cell.verdict)}`).join(' | ')} | ${l.target} |`),
    '',
    `Gateway peak RSS (VmHWM at the end): ${mib(r.gatewayPeakRssKib)}; floor driver: ${mib(r.floorDriverPeakRssKib)}.`,
    '',
    'Cells without a mark are shown for information: latency at c ≥ 16 is dominated by queueing for CPU, throughput at c=1 by latency.',
  ];
  const floorRps = Math.max(0, ...cs.map((c) => find(PathName.FloorLocalActivity, c)?.rps ?? 0));
  if (floorRps > 0 && floorRps < TARGETS.durableRps) {
    out.push(
      `The ${TARGETS.durableRps} req/s durable target is above this machine's Temporal floor (${floorRps.toFixed(0)} workflows/s with one local activity): the floor, not the gateway, bounds durable throughput here; the ratio row is the check that matters.`,
    );
  }
  return out;
}

function diffCell(value: number | undefined, base: number | undefined, limit: number, judged: boolean): Cell {
  if (value === undefined || base === undefined) return { text: 'n/a', verdict: 'info' };
  const d = value - base;
  return { text: `${d >= 0 ? '+' : ''}${d.toFixed(2)} ms`, verdict: judged ? (d <= limit ? 'pass' : 'fail') : 'info' };
}

function limitCell(value: number | undefined, limit: number, judged: boolean, digits: number): Cell {
  if (value === undefined) return { text: 'n/a', verdict: 'info' };
  return { text: `${value.toFixed(digits)} ms`, verdict: judged ? (value <= limit ? 'pass' : 'fail') : 'info' };
}

function ratioCell(value: number | undefined, base: number | undefined, judged: boolean): Cell {
  if (value === undefined || base === undefined || base === 0) return { text: 'n/a', verdict: 'info' };
  const ratio = value / base;
  return { text: `${(ratio * 100).toFixed(0)} %`, verdict: judged ? (ratio >= TARGETS.durableVsFloorThroughput ? 'pass' : 'fail') : 'info' };
}

function rpsCell(value: number | undefined, floor: number | undefined, judged: boolean): Cell {
  if (value === undefined) return { text: 'n/a', verdict: 'info' };
  const text = `${value.toFixed(0)} (${floor === undefined ? 'n/a' : floor.toFixed(0)})`;
  if (!judged) return { text, verdict: 'info' };
  if (value >= TARGETS.durableRps) return { text, verdict: 'pass' };
  // Below target: a failure of the gateway only if the floor itself could do it.
  return {
    text: floor !== undefined && floor < TARGETS.durableRps ? `${text} floor-bound` : text,
    verdict: floor !== undefined && floor < TARGETS.durableRps ? 'info' : 'fail',
  };
}

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

function mib(kib: number | undefined): string {
  return kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`;
}
