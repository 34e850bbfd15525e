/**
 * Child processes the benchmark owns: they die with it, even when it is SIGKILLed.
 */
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child started by {@link spawnOwned}. */
export interface OwnedChild {
  readonly child: ChildProcess;
  /** Pid of the program itself (setpriv execs it, so the pid does not change). */
  readonly pid: number;
  /** Settles when the process has exited. */
  readonly exited: Promise<ChildExit>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 000); resolves once it has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

let pdeathsig: boolean | undefined;

function supportsPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    try {
      pdeathsig = process.platform === 'linux' && execFileSync('setpriv', ['--help'], { encoding: 'utf8', timeout: 5_000 }).includes('--pdeathsig');
    } catch {
      pdeathsig = false;
    }
  }
  return pdeathsig;
}

/**
 * Spawns `command` so it cannot outlive this process: on Linux through `setpriv --pdeathsig KILL`
 * (the kernel kills it when we die), and everywhere with an `exit` hook that SIGKILLs it.
 *
 * @throws if the process cannot be spawned (no pid).
 */
export function spawnOwned(command: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; stdio: StdioOptions }): OwnedChild {
  const [file, argv] = supportsPdeathsig() ? ['setpriv', ['--pdeathsig', 'KILL', command, ...args]] : [command, [...args]];
  const child = spawn(file, argv, { env: opts.env, stdio: opts.stdio });
  if (child.pid === undefined) throw new Error(`could not spawn ${command}`);
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', onExit);
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', onExit);
      resolve({ code, signal });
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), delay(graceMs, false, { ref: false })]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopping;
  };
  return { child, pid: child.pid, exited, stop };
}
