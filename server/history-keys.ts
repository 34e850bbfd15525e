import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/load-config';
import type { RuntimeEnv } from '../config/runtime-env';
import {
  formatHistoryKeyring,
  generateHistoryKey,
  historyKeyring,
  HistoryKeyringError,
  parseHistoryKeyring,
  type HistoryKeyring,
} from '../temporal/history-keyring';

/** Where the keyring came from, for the start banner (never the keys). */
export interface ResolvedHistoryKeyring {
  /** null: encryption switched off explicitly. */
  readonly keyring: HistoryKeyring | null;
  readonly source: string;
}

/**
 * The workflow-history keyring of this process: `SWITCHYARD_HISTORY_KEYS`, else the file named by
 * `SWITCHYARD_HISTORY_KEYS_FILE`, else — on the embedded default only — `<dataDir>/history-keys`
 * (created with one random key, mode 0600). `SWITCHYARD_HISTORY_ENCRYPTION=off` returns no keyring.
 *
 * @param embeddedDataDir the data folder when this process runs its own Temporal dev server
 *   (`npm start` without TEMPORAL_ADDRESS); undefined for api/worker processes sharing a cluster,
 *   which must all be given the same keyring.
 * @throws ConfigError when no keyring is configured where one is required, or it is invalid.
 */
export function resolveHistoryKeyring(env: RuntimeEnv, embeddedDataDir?: string): ResolvedHistoryKeyring {
  if (env.SWITCHYARD_HISTORY_ENCRYPTION === 'off') return { keyring: null, source: 'off (SWITCHYARD_HISTORY_ENCRYPTION=off): history in plain text' };
  try {
    if (env.SWITCHYARD_HISTORY_KEYS) return { keyring: parseHistoryKeyring(env.SWITCHYARD_HISTORY_KEYS), source: 'SWITCHYARD_HISTORY_KEYS' };
    if (env.SWITCHYARD_HISTORY_KEYS_FILE) return { keyring: readKeyFile(env.SWITCHYARD_HISTORY_KEYS_FILE), source: env.SWITCHYARD_HISTORY_KEYS_FILE };
    if (embeddedDataDir !== undefined) {
      const file = ensureDevHistoryKeyFile(embeddedDataDir);
      return { keyring: readKeyFile(file), source: file };
    }
  } catch (err) {
    if (err instanceof HistoryKeyringError) throw new ConfigError(err.message);
    throw err;
  }
  throw new ConfigError(
    'SWITCHYARD_HISTORY_KEYS or SWITCHYARD_HISTORY_KEYS_FILE is required: api and worker processes must share the key that encrypts workflow history ' +
      '(set SWITCHYARD_HISTORY_ENCRYPTION=off to store history in plain text)',
  );
}

/** Embedded dev default: `<dataDir>/history-keys` with one random key, created once (mode 0600). */
export function ensureDevHistoryKeyFile(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'history-keys');
  if (!existsSync(file)) {
    const ring = historyKeyring([generateHistoryKey()]);
    const header = '# Switchyard workflow-history keys (npm start). First line encrypts, every line decrypts.\n';
    writeFileSync(file, `${header}${formatHistoryKeyring(ring)}\n`, { mode: 0o600, flag: 'wx' });
  }
  return file;
}

function readKeyFile(file: string): HistoryKeyring {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the history key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseHistoryKeyring(text);
}
