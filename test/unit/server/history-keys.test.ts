import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../config/load-config';
import { readRuntimeEnv } from '../../../config/runtime-env';
import { resolveHistoryKeyring } from '../../../server/history-keys';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const spec = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

describe('resolveHistoryKeyring', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-history-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers SWITCHYARD_HISTORY_KEYS, then SWITCHYARD_HISTORY_KEYS_FILE', () => {
    const file = path.join(dir, 'keys');
    writeFileSync(file, `${spec('from-file')}\n`);
    expect(resolveHistoryKeyring(readRuntimeEnv({ SWITCHYARD_HISTORY_KEYS: spec('from-env'), SWITCHYARD_HISTORY_KEYS_FILE: file })).keyring!.active.id).toBe(
      'from-env',
    );
    const fromFile = resolveHistoryKeyring(readRuntimeEnv({ SWITCHYARD_HISTORY_KEYS_FILE: file }));
    expect(fromFile.keyring!.active.id).toBe('from-file');
    expect(fromFile.source).toBe(file);
  });

  it('refuses to run without keys outside the embedded default, naming the variables', () => {
    expect(() => resolveHistoryKeyring(readRuntimeEnv({}))).toThrow(ConfigError);
    expect(() => resolveHistoryKeyring(readRuntimeEnv({}))).toThrow(/SWITCHYARD_HISTORY_KEYS or SWITCHYARD_HISTORY_KEYS_FILE is required/);
  });

  it('runs in plain text only when switched off explicitly', () => {
    expect(resolveHistoryKeyring(readRuntimeEnv({ SWITCHYARD_HISTORY_ENCRYPTION: 'off' })).keyring).toBeNull();
    expect(() => readRuntimeEnv({ SWITCHYARD_HISTORY_ENCRYPTION: 'no' })).toThrow(/SWITCHYARD_HISTORY_ENCRYPTION/);
  });

  it('reports a bad keyring or an unreadable file as a configuration error', () => {
    expect(() => resolveHistoryKeyring(readRuntimeEnv({ SWITCHYARD_HISTORY_KEYS: 'k:AAAA' }))).toThrow(ConfigError);
    expect(() => resolveHistoryKeyring(readRuntimeEnv({ SWITCHYARD_HISTORY_KEYS_FILE: path.join(dir, 'missing') }))).toThrow(
      /cannot read the history key file .*ENOENT/,
    );
  });

  it('creates one key under the data folder (mode 0600) on the embedded default and reuses it', () => {
    const first = resolveHistoryKeyring(readRuntimeEnv({}), dir);
    const file = path.join(dir, 'history-keys');
    expect(first.source).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = resolveHistoryKeyring(readRuntimeEnv({}), dir);
    expect(again.keyring!.active.id).toBe(first.keyring!.active.id);
    expect(again.keyring!.active.key.equals(first.keyring!.active.key)).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain(first.keyring!.active.id);
  });
});

describe('npm run api / worker without a history keyring', () => {
  it.each(['api', 'worker'])('bin/%s exits 78 (EX_CONFIG) naming the variables', (bin) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      SWITCHYARD_ADMIN_TOKEN: 'an-admin-token-long-enough',
    };
    const run = spawnSync(process.execPath, ['--require', path.join(ROOT, 'test', 'support', 'ts-register.js'), path.join(ROOT, 'bin', `${bin}.ts`)], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toContain('SWITCHYARD_HISTORY_KEYS or SWITCHYARD_HISTORY_KEYS_FILE is required');
    expect(run.status).toBe(78);
  });
});
