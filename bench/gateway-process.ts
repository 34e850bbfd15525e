/**
 * The gateway under test, as a separate process: `node dist/bin/api.js` with the api role and
 * the interactive worker in one process, as `npm start` runs it.
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnOwned, type OwnedChild } from './child-process';
import type { Cleanup } from './cleanup';

/** A running gateway. */
export interface GatewayProcess {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  readonly owned: OwnedChild;
}

/** How long the gateway may take to answer /readyz 200 (it bundles its workflows at start when dist/ has no fresh prebuilt bundle). */
const READY_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;

/**
 * Spawns the gateway and waits until GET /readyz answers 200.
 *
 * @param env - the gateway's complete environment (PORT, TEMPORAL_ADDRESS, DATABASE_URL, …).
 * @throws if it exits or is not ready within 120 s (the message carries its log's tail).
 */
export async function startGatewayProcess(opts: {
  distRoot: string;
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  cleanup: Cleanup;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}): Promise<GatewayProcess> {
  const fd = openSync(opts.logFile, 'a');
  let owned: OwnedChild;
  try {
    owned = spawnOwned(process.execPath, [...(opts.nodeArgs ?? []), path.join(opts.distRoot, 'bin', 'api.js')], {
      env: opts.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  opts.cleanup.add('gateway process', () => owned.stop());
  const url = `http://127.0.0.1:${opts.port}`;

  let exitInfo: string | undefined;
  void owned.exited.then((exit) => {
    exitInfo = `exited with ${exit.code ?? exit.signal}`;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitInfo !== undefined) throw new Error(`gateway ${exitInfo}\n${tail(opts.logFile)}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
      await res.arrayBuffer();
      if (res.status === 200) return { url, pid: owned.pid, logFile: opts.logFile, owned };
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await delay(POLL_INTERVAL_MS);
  }
  await owned.stop();
  throw new Error(`gateway not ready within ${READY_TIMEOUT_MS} ms (last: ${lastError})\n${tail(opts.logFile)}`);
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
