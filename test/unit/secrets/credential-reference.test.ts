import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readRuntimeEnv } from '../../../config/runtime-env';
import { ConfigError } from '../../../config/load-config';
import { refuseReference } from '../../../secrets/credential-reference';

describe('refuseReference', () => {
  const allowed = mkdtempSync(path.join(tmpdir(), 'cred-allowed-'));
  const outside = mkdtempSync(path.join(tmpdir(), 'cred-outside-'));
  writeFileSync(path.join(allowed, 'key'), 'sk-allowed\n');
  writeFileSync(path.join(outside, 'key'), 'sk-outside\n');
  mkdirSync(path.join(allowed, 'nested'));
  symlinkSync(path.join(outside, 'key'), path.join(allowed, 'link'));
  symlinkSync(outside, path.join(allowed, 'dir-link'));
  symlinkSync(path.join(outside, 'not-yet'), path.join(allowed, 'dangling'));
  const policy = { fileDirs: [allowed] };

  it('accepts files under a listed directory, existing or not', async () => {
    expect(await refuseReference(`file:${allowed}/key`, policy)).toBeUndefined();
    expect(await refuseReference(`file:${allowed}/nested/../key`, policy)).toBeUndefined();
    expect(await refuseReference(`file:${allowed}/nested/later`, policy)).toBeUndefined();
    expect(await refuseReference(`file:${outside}/key`, { fileDirs: [outside, allowed] })).toBeUndefined();
  });

  it('refuses files outside them, through .., a symlink, a symlinked directory or a dangling link', async () => {
    for (const file of [
      '/etc/shadow',
      `${outside}/key`,
      `${allowed}/../${path.basename(outside)}/key`,
      `${allowed}/link`,
      `${allowed}/dir-link/key`,
      `${allowed}/dangling`,
      allowed,
      `${allowed}-sibling/key`,
    ]) {
      expect(await refuseReference(`file:${file}`, policy)).toMatch(/not under a directory listed in SWITCHYARD_CREDENTIAL_FILE_DIRS/);
    }
    expect(await refuseReference('file:/tmp/a\u0000b', policy)).toMatch(/absolute path/);
  });

  it('refuses every file: reference when no directory is listed, naming the variable', async () => {
    expect(await refuseReference(`file:${allowed}/key`, { fileDirs: [] })).toBe(
      'file: references are turned off: set SWITCHYARD_CREDENTIAL_FILE_DIRS to the directories (absolute paths, colon-separated) they may read from.',
    );
  });

  it("refuses env: references to the gateway's own secrets, and accepts others", async () => {
    for (const name of [
      'DATABASE_URL',
      'PGPASSWORD',
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS_CLIENT_KEY',
      'SWITCHYARD_ADMIN_TOKEN',
      'SWITCHYARD_MASTER_KEY',
      'SWITCHYARD_MASTER_KEY_FILE',
      'SWITCHYARD_HISTORY_KEYS',
      'SWITCHYARD_ANYTHING_NEW',
      'switchyard_admin_token',
      'OTEL_EXPORTER_OTLP_HEADERS',
    ]) {
      expect(await refuseReference(`env:${name}`, policy)).toMatch(/names one of the gateway's own settings/);
    }
    expect(await refuseReference('env:OPENAI_API_KEY', policy)).toBeUndefined();
    expect(await refuseReference('env:UPSTREAM_KEY_2', { fileDirs: [] })).toBeUndefined();
  });

  it('refuses anything that is not env: or file:', async () => {
    expect(await refuseReference('http://example.com/key', policy)).toMatch(/env:NAME or file:/);
  });
});

describe('SWITCHYARD_CREDENTIAL_FILE_DIRS', () => {
  it('is a colon-separated list of absolute directories; unset is none', () => {
    expect(readRuntimeEnv({ SWITCHYARD_CREDENTIAL_FILE_DIRS: '/run/secrets: /etc/switchyard/keys:' }).SWITCHYARD_CREDENTIAL_FILE_DIRS).toEqual([
      '/run/secrets',
      '/etc/switchyard/keys',
    ]);
    expect(readRuntimeEnv({}).SWITCHYARD_CREDENTIAL_FILE_DIRS).toEqual([]);
    expect(() => readRuntimeEnv({ SWITCHYARD_CREDENTIAL_FILE_DIRS: '/run/secrets:relative/dir' })).toThrow(ConfigError);
    expect(() => readRuntimeEnv({ SWITCHYARD_CREDENTIAL_FILE_DIRS: 'relative' })).toThrow(/SWITCHYARD_CREDENTIAL_FILE_DIRS: must list absolute paths/);
  });
});
