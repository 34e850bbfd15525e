import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Connection } from '@temporalio/client';

import { resolvePort } from './free-port';
import type { SearchAttributeDef } from './search-attribute-defs';

/**
 * Server settings that remove the dev server's built-in latency floors (TEMPORAL-NOTES §9):
 * the transfer-queue poll rate limit (default 20/s, ~50 ms per dispatch), task-queue partition
 * forwarding, and fsync-per-commit SQLite. The two `frontend.enableUpdate*` values and the version
 * check switch are what the TypeScript SDK's own test server passes; the version check would
 * otherwise phone home on every start. The CLI turns `system.forceSearchAttributesCacheRefreshOnRead`
 * on for its own tests: every search-attribute read (start validation, each visibility write, the
 * namespace's attribute aliases) then re-reads cluster metadata and the namespace from SQLite,
 * ~10 reads per request here. Off, the server caches them (a minute; attributes added through
 * the operator API flush the cache); the ones Switchyard uses are start flags, in place before
 * the first request.
 */
export const DEV_SERVER_TUNING_ARGS: ReadonlyArray<string> = Object.freeze([
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=off',
  '--dynamic-config-value',
  'history.transferProcessorMaxPollRPS=100000',
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecution=true',
  '--dynamic-config-value',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  '--dynamic-config-value',
  'frontend.enableServerVersionCheck=false',
  '--dynamic-config-value',
  'system.forceSearchAttributesCacheRefreshOnRead=false',
]);

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Temporal CLI binary (see `locateTemporalCli`). */
  readonly cliPath: string;
  /** SQLite file holding all server state; its folder is created. The server log goes next to it. */
  readonly dbFile: string;
  /** gRPC frontend port on 127.0.0.1; 0 picks a free port. */
  readonly port: number;
  /** Web UI port; 0 picks a free port; `null` runs headless (no UI). */
  readonly uiPort: number | null;
  /** Namespace created at start (in addition to `default`). */
  readonly namespace: string;
  /** Custom search attributes registered at start. */
  readonly searchAttributes: ReadonlyArray<SearchAttributeDef>;
  /** Receives short progress lines (not the server's own output, which goes to the log file). */
  readonly log: (line: string) => void;
  /** How long to wait for the server to answer; default 60 000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running dev server. */
export interface DevServerHandle {
  /** `host:port` of the gRPC frontend, for `Connection.connect({ address })`. */
  readonly address: string;
  /** Web UI URL, or null when headless. */
  readonly uiUrl: string | null;
  /** Namespace the server was started with. */
  readonly namespace: string;
  /** File receiving the server's stdout and stderr (`<dbFile>.log`, appended across runs). */
  readonly logFile: string;
  /**
   * Stops the server: SIGTERM, then SIGKILL if it has not exited after 10 s. Resolves once the
   * process has exited. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/** Thrown when the dev server exits or stays unreachable during start. */
export class DevServerStartError extends Error {
  override readonly name = 'DevServerStartError';
  constructor(
    message: string,
    /** The server log file. */
    readonly logFile: string,
    /** Last lines of the server log (stderr and stdout). */
    readonly logTail: string,
    /** Exit code or signal when the process exited; null when it timed out while still running. */
    readonly exit: { code: number | null; signal: NodeJS.Signals | null } | null,
  ) {
    super(`${message}\n--- ${logFile} (tail) ---\n${logTail}`);
  }
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 200;
const LOG_TAIL_LINES = 40;

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1 with {@link DEV_SERVER_TUNING_ARGS} and
 * `GOGC=400`, and resolves once the frontend answers `GetSystemInfo` and `DescribeNamespace`.
 *
 * The server is a child of this process and does not outlive it: an `exit` hook and (when nobody
 * else handles them) SIGINT/SIGTERM/SIGHUP hooks stop it, and on Linux it is started through
 * `setpriv --pdeathsig TERM` so even a SIGKILL of this process takes it down.
 *
 * When the server exits because a port other than one the caller fixed was taken in the meantime,
 * it starts again on new ports (at most {@link START_ATTEMPTS_ON_PORT_CLASH} starts).
 *
 * @throws {@link DevServerStartError} if the process exits during start or the server is not
 *   reachable within `startTimeoutMs` (the process is then stopped).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServerHandle> {
  const fixedPorts = [opts.port, opts.uiPort ?? 0].filter((port) => port !== 0);
  for (let attempt = 1; ; attempt++) {
    const port = await resolvePort(opts.port);
    const uiPort = opts.uiPort === null ? null : await resolvePort(opts.uiPort);
    try {
      return await startOnPorts(opts, port, uiPort);
    } catch (error) {
      const clash = portClash(error);
      if (clash === null || attempt >= START_ATTEMPTS_ON_PORT_CLASH || !clashMayBeOnPickedPort(clash, fixedPorts)) throw error;
      opts.log(
        `Temporal dev server: port ${clash.port ?? '?'} was taken during start; retrying on new ports (start ${attempt + 1} of ${START_ATTEMPTS_ON_PORT_CLASH})`,
      );
    }
  }
}

/**
 * Starts made when a port is taken by the time the server binds it (a port picked for the caller
 * with `getFreePort`, or one of the server's internal ones). A clash on a port the caller fixed is
 * not retried: that one is the caller's to fix.
 */
const START_ATTEMPTS_ON_PORT_CLASH = 3;

/**
 * Whether another start could help: the clash is not on a port the caller fixed. The ports we
 * picked and the server's internal ones (its own `bind(0)` picks) change on every start.
 */
export function clashMayBeOnPickedPort(clash: { readonly port: number | null }, fixedPorts: ReadonlyArray<number>): boolean {
  return clash.port === null || !fixedPorts.includes(clash.port);
}

/**
 * For a start that failed because the server could not bind a port: that port (null when its log
 * line does not name one). Null for any other failure.
 */
export function portClash(error: unknown): { readonly port: number | null } | null {
  if (!(error instanceof DevServerStartError) || error.exit === null) return null;
  // The log is appended across starts: only this start's part (from its `===` header) counts.
  const lines = error.logTail.split('\n');
  let header = lines.length - 1;
  while (header > 0 && !lines[header]!.startsWith('=== ')) header--;
  const line = lines.slice(header).find((candidate) => /address already in use/i.test(candidate));
  if (line === undefined) return null;
  const port = /:(\d{1,5}): bind: address already in use/i.exec(line)?.[1];
  return { port: port === undefined ? null : Number(port) };
}

async function startOnPorts(opts: DevServerOptions, port: number, uiPort: number | null): Promise<DevServerHandle> {
  const startedAt = Date.now();
  const address = `127.0.0.1:${port}`;
  const dbFile = path.resolve(opts.dbFile);
  const logFile = `${dbFile}.log`;
  await mkdir(path.dirname(dbFile), { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...opts.searchAttributes.flatMap((attribute) => ['--search-attribute', `${attribute.name}=${attribute.type}`]),
    ...DEV_SERVER_TUNING_ARGS,
  ];
  const [command, commandArgs] = (await supportsPdeathsig()) ? ['setpriv', ['--pdeathsig', 'TERM', opts.cliPath, ...args]] : [opts.cliPath, args];

  // The server writes straight into the file (no pipe through this process), so its output neither
  // reaches the console nor is lost if this process stops reading.
  const logFd = openSync(logFile, 'a');
  writeSync(logFd, `\n=== ${new Date().toISOString()} ${opts.cliPath} ${args.join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(command, commandArgs, { stdio: ['ignore', logFd, logFd], env: { ...process.env, GOGC: '400' } });
  } finally {
    closeSync(logFd);
  }
  opts.log(`Temporal dev server: starting on ${address}${uiPort === null ? ' (headless)' : `, UI on ${uiPort}`}; log ${logFile}`);

  const lifecycle = trackChild(child);
  const stop = memoize(() => stopChild(child, lifecycle.exited));

  try {
    await waitUntilServing({
      address,
      namespace: opts.namespace,
      deadline: startedAt + (opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS),
      exited: lifecycle.exited,
      logFile,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  opts.log(`Temporal dev server: ready at ${address} in ${Date.now() - startedAt} ms`);

  return {
    address,
    uiUrl: uiPort === null ? null : `http://127.0.0.1:${uiPort}`,
    namespace: opts.namespace,
    logFile,
    stop,
  };
}

interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly spawnError?: Error;
}

/**
 * Follows the child's exit and stops it when this process goes away. The signal hooks only act when
 * they are the sole listener: an application with its own shutdown handler is expected to call
 * `stop()` itself (and the `exit` hook is still there as a safety net).
 */
function trackChild(child: ChildProcess): { exited: Promise<ExitInfo> } {
  const onExit = (): void => {
    child.kill('SIGTERM');
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return;
    child.kill('SIGTERM');
    removeHooks();
    // Re-raise so the default action (terminate) still happens now that our listener is gone.
    process.kill(process.pid, signal);
  };
  const removeHooks = (): void => {
    process.removeListener('exit', onExit);
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
  process.on('exit', onExit);
  for (const signal of signals) process.on(signal, onSignal);

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (spawnError) => {
      removeHooks();
      resolve({ code: null, signal: null, spawnError });
    });
    child.once('exit', (code, signal) => {
      removeHooks();
      resolve({ code, signal });
    });
  });
  return { exited };
}

async function stopChild(child: ChildProcess, exited: Promise<ExitInfo>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false, { ref: false })]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

interface WaitOptions {
  readonly address: string;
  readonly namespace: string;
  readonly deadline: number;
  readonly exited: Promise<ExitInfo>;
  readonly logFile: string;
}

async function waitUntilServing(opts: WaitOptions): Promise<void> {
  type Outcome = { readonly kind: 'ready' } | { readonly kind: 'not-yet'; readonly error: string } | { readonly kind: 'exited'; readonly exit: ExitInfo };
  const exited = opts.exited.then((exit): Outcome => ({ kind: 'exited', exit }));
  let lastError = 'no attempt made';
  for (;;) {
    const remaining = opts.deadline - Date.now();
    if (remaining <= 0) {
      throw new DevServerStartError(
        `Temporal dev server at ${opts.address} not reachable in time (last error: ${lastError})`,
        opts.logFile,
        await readLogTail(opts.logFile),
        null,
      );
    }
    const attempt = probe(opts.address, opts.namespace, Math.min(remaining, 2_000)).then(
      (): Outcome => ({ kind: 'ready' }),
      (error: unknown): Outcome => ({ kind: 'not-yet', error: error instanceof Error ? error.message : String(error) }),
    );
    const outcome = await Promise.race([attempt, exited]);
    if (outcome.kind === 'ready') return;
    if (outcome.kind === 'exited') {
      const { exit } = outcome;
      const how = exit.spawnError?.message ?? (exit.signal !== null ? `signal ${exit.signal}` : `exit code ${exit.code ?? '?'}`);
      throw new DevServerStartError(`Temporal dev server exited during start (${how})`, opts.logFile, await readLogTail(opts.logFile), exit);
    }
    lastError = outcome.error;
    await Promise.race([delay(POLL_INTERVAL_MS), exited]);
  }
}

/**
 * One readiness probe: `ensureConnected` (which calls GetSystemInfo), then DescribeNamespace.
 * `lazy` + `close` in `finally`, because a failed `Connection.connect` leaves its channel open.
 */
async function probe(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const connection = Connection.lazy({ address, connectTimeout: timeoutMs });
  try {
    await connection.ensureConnected();
    await connection.workflowService.describeNamespace({ namespace });
  } finally {
    await connection.close();
  }
}

async function readLogTail(logFile: string): Promise<string> {
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch (error) {
    return `(could not read ${logFile}: ${error instanceof Error ? error.message : String(error)})`;
  }
}

let pdeathsigSupport: Promise<boolean> | undefined;

/** Linux util-linux `setpriv` ≥ 2.33 can make the kernel signal the server when this process dies. */
function supportsPdeathsig(): Promise<boolean> {
  pdeathsigSupport ??=
    process.platform !== 'linux'
      ? Promise.resolve(false)
      : new Promise((resolve) => {
          execFile('setpriv', ['--help'], { timeout: 5_000 }, (error, stdout) => {
            resolve(error === null && stdout.includes('--pdeathsig'));
          });
        });
  return pdeathsigSupport;
}

function memoize(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
