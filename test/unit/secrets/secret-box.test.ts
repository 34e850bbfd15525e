import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../config/load-config';
import { resolveReference } from '../../../secrets/credential-resolver';
import { loadMasterKey } from '../../../secrets/master-key';
import { SecretBox, secretFingerprint } from '../../../secrets/secret-box';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, in the same context only', () => {
    const sealed = box.seal('sk-secret-value-1234', 'credential:a/1');
    expect(sealed.includes(Buffer.from('sk-secret-value-1234'))).toBe(false);
    expect(box.open(sealed, 'credential:a/1')).toBe('sk-secret-value-1234');
    expect(() => box.open(sealed, 'credential:b/1')).toThrow();
  });

  it('refuses another master key and altered bytes', () => {
    const sealed = box.seal('x', 'c');
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'c')).toThrow('another master key');
    const altered = Buffer.from(sealed);
    altered[altered.length - 1]! ^= 1;
    expect(() => box.open(altered, 'c')).toThrow();
    expect(() => new SecretBox(randomBytes(16))).toThrow(RangeError);
  });

  it('fingerprints without revealing', () => {
    expect(secretFingerprint('sk-abcdef123456')).toEqual({ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), last4: '3456' });
  });
});

describe('loadMasterKey', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mk-'));

  it('prefers the variable, then the file, then the embedded default created with mode 0600', () => {
    const value = randomBytes(32).toString('base64');
    expect(loadMasterKey({ value })!.toString('base64')).toBe(value);
    const file = path.join(dir, 'given');
    writeFileSync(file, `${value}\n`);
    expect(loadMasterKey({ file })!.toString('base64')).toBe(value);
    const created = path.join(dir, 'data', 'master-key');
    const first = loadMasterKey({ defaultFile: created })!;
    expect(statSync(created).mode & 0o777).toBe(0o600);
    expect(loadMasterKey({ defaultFile: created })!.equals(first)).toBe(true);
    expect(loadMasterKey({})).toBeUndefined();
  });

  it('refuses a key that is not 32 bytes of base64', () => {
    expect(() => loadMasterKey({ value: randomBytes(16).toString('base64') })).toThrow(ConfigError);
    expect(() => loadMasterKey({ value: 'not base64!' })).toThrow(ConfigError);
    expect(() => loadMasterKey({ file: path.join(dir, 'missing') })).toThrow(ConfigError);
  });
});

describe('resolveReference', () => {
  it('reads env: and file: references', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ref-'));
    const file = path.join(dir, 'key');
    writeFileSync(file, 'from-file\n');
    const policy = { fileDirs: [dir] };
    expect(await resolveReference('env:K', { env: { K: 'from-env' }, policy })).toBe('from-env');
    expect(await resolveReference(`file:${file}`, { env: {}, policy })).toBe('from-file');
    expect(await resolveReference('env:MISSING', { env: {}, policy })).toBeUndefined();
    expect(await resolveReference(`file:${dir}/nonexistent`, { env: {}, policy })).toBeUndefined();
  });

  it('reads nothing the policy refuses, e.g. a row stored before it or a link swapped in since', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ref-'));
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'ref-outside-')), 'key');
    writeFileSync(outside, 'outside\n');
    symlinkSync(outside, path.join(dir, 'link'));
    const env = { DATABASE_URL: 'postgres://u:p@db/x', SWITCHYARD_ADMIN_TOKEN: 'admin-token-0123456789' };
    expect(await resolveReference(`file:${outside}`, { env, policy: { fileDirs: [dir] } })).toBeUndefined();
    expect(await resolveReference(`file:${dir}/link`, { env, policy: { fileDirs: [dir] } })).toBeUndefined();
    expect(await resolveReference(`file:${outside}`, { env, policy: { fileDirs: [] } })).toBeUndefined();
    expect(await resolveReference('env:DATABASE_URL', { env, policy: { fileDirs: [dir] } })).toBeUndefined();
    expect(await resolveReference('env:SWITCHYARD_ADMIN_TOKEN', { env, policy: { fileDirs: [dir] } })).toBeUndefined();
  });
});
