import { execFile, spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The CLI release we build from source. v1.5.1 is the newest tag `go install …@version` accepts:
 * from v1.6.0 the CLI's go.mod carries a `replace` directive, which `go install` refuses.
 */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Go package path of the CLI's main package. */
export const TEMPORAL_CLI_PACKAGE = 'github.com/temporalio/cli/cmd/temporal';

/** Where a located CLI binary came from, in lookup order. */
export type TemporalCliSource = 'path' | 'env' | 'user-cache' | 'project' | 'go-install';

/**
 * Result of {@link locateTemporalCli}: a runnable binary, or the instruction to let the Temporal SDK
 * (`@temporalio/testing`, executable `cached-download`) fetch one from temporal.download, which
 * needs internet access.
 */
export type TemporalCliLocation =
  { readonly kind: 'path'; readonly path: string; readonly source: TemporalCliSource; readonly version: string } | { readonly kind: 'sdk-download' };

/** Options of {@link locateTemporalCli}. */
export interface LocateTemporalCliOptions {
  /** Repository root; the go-install fallback writes to `<projectRoot>/.tools/bin` (git-ignored). */
  readonly projectRoot: string;
  /** Receives one human-readable progress line at a time (lookup decisions, go build progress). */
  readonly log: (line: string) => void;
  /**
   * Environment to read `PATH`, `SWITCHYARD_TEMPORAL_CLI`, `XDG_CACHE_HOME`, `HOME` and Go settings
   * from, and to pass to `go`. Default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
}

const VERSION_PROBE_TIMEOUT_MS = 15_000;
const GO_PROGRESS_INTERVAL_MS = 10_000;

/**
 * Finds a Temporal CLI binary, building one if needed. Lookup order:
 * 1. `temporal` on `PATH` (whatever version it is);
 * 2. a cached copy: `$SWITCHYARD_TEMPORAL_CLI`, then {@link userCacheCliPath}, then
 *    {@link projectCliPath};
 * 3. if `go` is on `PATH`: `go install` {@link TEMPORAL_CLI_PACKAGE}@{@link TEMPORAL_CLI_VERSION} into
 *    `<projectRoot>/.tools/bin` (~4 minutes the first time, needs Go ≥ 1.25 and the Go module proxy),
 *    then a copy into the user cache so other clones on this machine find it;
 * 4. otherwise `{ kind: 'sdk-download' }`.
 *
 * A candidate counts only if `<binary> --version` exits 0 within 15 s; broken candidates are logged
 * and skipped. A failed `go install` is logged and falls through to step 4 rather than throwing.
 */
export async function locateTemporalCli(opts: LocateTemporalCliOptions): Promise<TemporalCliLocation> {
  const env = opts.env ?? process.env;
  const { log } = opts;

  const onPath = await findOnPath('temporal', env);
  if (onPath !== null) {
    const version = await probeVersion(onPath);
    if (version !== null) {
      log(`Temporal CLI: using ${onPath} from PATH (${version})`);
      return { kind: 'path', path: onPath, source: 'path', version };
    }
    log(`Temporal CLI: ${onPath} is on PATH but \`--version\` failed; ignoring it`);
  }

  const cached: Array<{ path: string; source: TemporalCliSource }> = [];
  const fromEnv = env.SWITCHYARD_TEMPORAL_CLI;
  if (fromEnv !== undefined && fromEnv !== '') cached.push({ path: path.resolve(fromEnv), source: 'env' });
  cached.push({ path: userCacheCliPath(env), source: 'user-cache' });
  cached.push({ path: projectCliPath(opts.projectRoot), source: 'project' });
  for (const candidate of cached) {
    if (!(await isExecutableFile(candidate.path))) {
      if (candidate.source === 'env') log(`Temporal CLI: SWITCHYARD_TEMPORAL_CLI=${fromEnv} is not an executable file; ignoring it`);
      continue;
    }
    const version = await probeVersion(candidate.path);
    if (version !== null) {
      log(`Temporal CLI: using cached ${candidate.path} (${version})`);
      return { kind: 'path', path: candidate.path, source: candidate.source, version };
    }
    log(`Temporal CLI: ${candidate.path} exists but \`--version\` failed; ignoring it`);
  }

  const go = await findOnPath('go', env);
  if (go !== null) {
    const built = await goInstallCli({ go, projectRoot: opts.projectRoot, env, log });
    if (built !== null) {
      const version = await probeVersion(built);
      if (version !== null) {
        await copyIntoUserCache(built, env, log);
        return { kind: 'path', path: built, source: 'go-install', version };
      }
      log(`Temporal CLI: go install produced ${built} but \`--version\` failed`);
    }
  }

  log('Temporal CLI: none found and none built; the Temporal SDK will have to download one (needs internet)');
  return { kind: 'sdk-download' };
}

/**
 * Per-user cache location of the CLI, shared by every clone on the machine:
 * `${XDG_CACHE_HOME:-~/.cache}/switchyard/temporal-cli-v1.5.1/temporal`.
 */
export function userCacheCliPath(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : path.join(env.HOME ?? homedir(), '.cache');
  return path.join(cacheHome, 'switchyard', `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

/** Project-local CLI location, `<projectRoot>/.tools/bin/temporal` (git-ignored). */
export function projectCliPath(projectRoot: string): string {
  return path.join(projectRoot, '.tools', 'bin', 'temporal');
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(command: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** Runs `<binary> --version`; returns its first output line, or null if it fails or times out. */
function probeVersion(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: VERSION_PROBE_TIMEOUT_MS }, (error, stdout) => {
      resolve(error === null ? (stdout.trim().split('\n')[0] ?? '') : null);
    });
  });
}

interface GoInstallOptions {
  readonly go: string;
  readonly projectRoot: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}

/** Builds the CLI with `go install`; returns the binary path, or null (already logged) on failure. */
async function goInstallCli(opts: GoInstallOptions): Promise<string | null> {
  const binDir = path.dirname(projectCliPath(opts.projectRoot));
  await mkdir(binDir, { recursive: true });
  const goFlags = [opts.env.GOFLAGS, '-mod=mod'].filter((flag) => flag !== undefined && flag !== '').join(' ');
  const baseEnv: NodeJS.ProcessEnv = { ...opts.env, GOBIN: binDir, GOFLAGS: goFlags };

  opts.log(
    `Temporal CLI: building ${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION} with ${opts.go} into ${binDir} ` +
      '(takes ~4 minutes the first time; the result is cached)',
  );
  let result = await runGoInstall(opts.go, baseEnv, opts.log);
  if (!result.ok && isChecksumDatabaseUnreachable(result.output)) {
    opts.log('Temporal CLI: the Go checksum database could not be reached; retrying once with GOSUMDB=off');
    result = await runGoInstall(opts.go, { ...baseEnv, GOSUMDB: 'off' }, opts.log);
  }
  if (!result.ok) {
    const tail = result.output.trim().split('\n').slice(-15).join('\n');
    opts.log(`Temporal CLI: go install failed (${result.exit}):\n${tail}`);
    return null;
  }
  return projectCliPath(opts.projectRoot);
}

interface GoInstallResult {
  readonly ok: boolean;
  /** Human-readable exit description, e.g. `exit code 1`. */
  readonly exit: string;
  /** Everything go printed; used for the GOSUMDB decision and the failure message. */
  readonly output: string;
}

/**
 * Runs one `go install -v`. `-v` prints each package as it is compiled, which is the only sign of
 * life during the minutes-long build; those lines are summarised every 10 s instead of being
 * forwarded one by one (there are ~1,500 of them). Download lines and anything else are forwarded.
 */
function runGoInstall(go: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<GoInstallResult> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const child = spawn(go, ['install', '-v', `${TEMPORAL_CLI_PACKAGE}@${TEMPORAL_CLI_VERSION}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let packagesBuilt = 0;
    const onLine = (line: string): void => {
      output += `${line}\n`;
      // Package paths (no spaces) are compile progress; go's own messages contain spaces.
      if (/^[\w.\-/]+$/.test(line)) packagesBuilt += 1;
      else if (line.trim() !== '') log(`  go: ${line.replace(/^go: /, '')}`);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    const progress = setInterval(() => {
      const seconds = Math.round((Date.now() - startedAt) / 1000);
      log(`  go: still building… ${packagesBuilt} packages compiled (${seconds} s)`);
    }, GO_PROGRESS_INTERVAL_MS);
    progress.unref();

    child.once('error', (error) => {
      clearInterval(progress);
      resolve({ ok: false, exit: error.message, output });
    });
    child.once('close', (code, signal) => {
      clearInterval(progress);
      const seconds = Math.round((Date.now() - startedAt) / 1000);
      if (code === 0) log(`Temporal CLI: go install finished in ${seconds} s (${packagesBuilt} packages compiled)`);
      resolve({ ok: code === 0, exit: signal !== null ? `signal ${signal}` : `exit code ${code ?? 'unknown'}`, output });
    });
  });
}

/**
 * True when go failed because it could not *reach* the checksum database (offline, firewall, proxy
 * without sumdb support). A checksum *mismatch* ("SECURITY ERROR") is never retried without GOSUMDB:
 * that would install a module that failed verification.
 */
export function isChecksumDatabaseUnreachable(goOutput: string): boolean {
  if (/SECURITY ERROR|checksum mismatch/i.test(goOutput)) return false;
  const mentionsSumDb = /sum\.golang\.org|checksum database|GOSUMDB|\/lookup\//i.test(goOutput);
  const networkFailure =
    /dial tcp|no such host|i\/o timeout|connection refused|connection reset|TLS handshake|proxyconnect|context deadline exceeded|network is unreachable|unexpected EOF|\b(403|404|410|429|5\d\d)\b/i.test(
      goOutput,
    );
  return mentionsSumDb && networkFailure;
}

/** Copies a freshly built binary into the user cache (atomically), so other clones skip the build. */
async function copyIntoUserCache(binary: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const destination = userCacheCliPath(env);
  const partial = `${destination}.partial-${process.pid}`;
  try {
    await mkdir(path.dirname(destination), { recursive: true });
    await copyFile(binary, partial);
    await chmod(partial, 0o755);
    await rename(partial, destination);
    log(`Temporal CLI: cached a copy at ${destination}`);
  } catch (error) {
    await rm(partial, { force: true });
    log(`Temporal CLI: could not cache a copy at ${destination}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
