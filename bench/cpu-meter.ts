/**
 * CPU accounting per phase: the process under test (gateway or floor driver), the Temporal
 * server, Postgres, the benchmark process (load generator and fake upstream), and whatever else
 * kept the machine busy (other people's processes: a large share means a noisy measurement).
 */
import { machineBusyCpuMs, processTree, type ProcessInfo } from './proc-stats';

/** CPU ms spent during one measured window; undefined where not readable. */
export interface CpuBreakdown {
  /** The gateway process, or the floor driver (its worker and client) in floor phases. */
  readonly underTestMs: number | undefined;
  readonly temporalMs: number | undefined;
  /** Postgres processes started by the benchmark. */
  readonly postgresMs: number | undefined;
  /** The benchmark's main process: load generator and fake upstream (idle during floor phases). */
  readonly benchMs: number | undefined;
  /** Busy CPU on the machine outside the benchmark's process tree. */
  readonly outsideMs: number | undefined;
}

interface Snapshot {
  readonly tree: ReadonlyMap<number, ProcessInfo>;
  readonly selfMs: number;
  readonly machineMs: number | undefined;
}

/** Reads the counters at the start and end of a window. */
export class CpuMeter {
  private start: Snapshot | undefined;
  private end: Snapshot | undefined;

  /**
   * @param pids.root - the benchmark's main process (its tree is "the benchmark").
   * @param pids.underTest - process whose CPU per request is the headline (may be this process).
   * @param pids.temporal - the Temporal server, when the benchmark started it.
   */
  constructor(private readonly pids: { readonly root: number; readonly underTest: number | undefined; readonly temporal: number | undefined }) {}

  /** Starts a window. */
  begin(): void {
    this.start = this.read();
    this.end = undefined;
  }

  /** Ends the window. */
  finish(): void {
    this.end = this.read();
  }

  /** CPU spent between {@link begin} and {@link finish}. */
  breakdown(): CpuBreakdown {
    const a = this.start;
    const b = this.end;
    if (a === undefined || b === undefined) throw new Error('CpuMeter: breakdown() before begin() and finish()');
    const used = (p: ProcessInfo): number => p.cpuMs - (a.tree.get(p.pid)?.cpuMs ?? 0);
    let treeMs = 0;
    let postgresMs = 0;
    for (const p of b.tree.values()) {
      treeMs += used(p);
      if (p.comm.startsWith('postgres')) postgresMs += used(p);
    }
    const of = (pid: number | undefined): number | undefined => {
      const p = pid === undefined ? undefined : b.tree.get(pid);
      return p === undefined ? undefined : used(p);
    };
    // process.cpuUsage() has µs resolution; /proc only clock ticks (10 ms).
    const underTestMs = this.pids.underTest === process.pid ? b.selfMs - a.selfMs : of(this.pids.underTest);
    const machineMs = a.machineMs === undefined || b.machineMs === undefined ? undefined : b.machineMs - a.machineMs;
    return {
      underTestMs,
      temporalMs: of(this.pids.temporal),
      postgresMs: b.tree.size > 0 ? postgresMs : undefined,
      benchMs: this.pids.root === process.pid ? b.selfMs - a.selfMs : of(this.pids.root),
      outsideMs: machineMs === undefined || b.tree.size === 0 ? undefined : Math.max(0, machineMs - treeMs),
    };
  }

  private read(): Snapshot {
    const usage = process.cpuUsage();
    return {
      tree: new Map(processTree(this.pids.root).map((p) => [p.pid, p])),
      selfMs: (usage.user + usage.system) / 1000,
      machineMs: machineBusyCpuMs(),
    };
  }
}
