/**
 * CPU time and memory of processes from /proc (Linux). Elsewhere every reading is undefined and
 * the report shows "n/a".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** USER_HZ (clock ticks per second of /proc times); `getconf CLK_TCK`, else 100. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim(), 10);
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the `(comm)` field: index 0 is `state` (field 3). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU ms the process (all its threads) has used; undefined if unreadable. */
export function processCpuMs(pid: number): number | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // utime and stime are fields 14 and 15 of the file.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : undefined;
}

/** Busy CPU ms of the whole machine, summed over all cores (everything but idle and iowait). */
export function machineBusyCpuMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicksPerSecond() : undefined;
  } catch {
    return undefined;
  }
}

/** Peak resident set size (VmHWM) in KiB; undefined if unreadable. */
export function peakRssKib(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** One process as /proc shows it. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Command name (up to 15 characters). */
  readonly comm: string;
  /** User + system CPU ms so far, all threads. */
  readonly cpuMs: number;
}

/** Every process readable in /proc (empty where there is no /proc). */
export function listProcesses(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const ticks = clockTicksPerSecond();
  const out: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const fields = text.slice(close + 2).split(' ');
      out.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        comm: text.slice(text.indexOf('(') + 1, close),
        cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks,
      });
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

/** `root` and all its descendants, from one {@link listProcesses} scan. */
export function processTree(root: number, all: readonly ProcessInfo[] = listProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const tree: ProcessInfo[] = [];
  const rootInfo = all.find((p) => p.pid === root);
  const queue = rootInfo ? [rootInfo] : [];
  // Bounded: every process is visited once (pids are unique), so at most all.length steps.
  for (let i = 0; i < queue.length && i < all.length; i += 1) {
    const p = queue[i]!;
    tree.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return tree;
}

/** Pid of a direct child of this process whose command name is `comm`, if there is one. */
export function findChildPid(comm: string): number | undefined {
  return listProcesses().find((p) => p.comm === comm && p.ppid === process.pid)?.pid;
}
