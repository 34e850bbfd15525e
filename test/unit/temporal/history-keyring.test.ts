import { randomBytes } from 'node:crypto';
import { formatHistoryKeyring, generateHistoryKey, HistoryKeyringError, parseHistoryKeyring } from '../../../temporal/history-keyring';

const b64 = (bytes: Buffer): string => bytes.toString('base64');

describe('parseHistoryKeyring', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('takes the first entry as the active key and keeps every key for decryption', () => {
    const ring = parseHistoryKeyring(`new:${b64(k2)}, old:${b64(k1)}`);
    expect(ring.active.id).toBe('new');
    expect(ring.active.key.equals(k2)).toBe(true);
    expect([...ring.byId.keys()]).toEqual(['new', 'old']);
    expect(ring.byId.get('old')!.key.equals(k1)).toBe(true);
  });

  it('reads the file form: one entry per line, comments and blank lines ignored, URL-safe base64 accepted', () => {
    const ring = parseHistoryKeyring(`# keys, newest first\n\nnew:${k2.toString('base64url')}\nold:${b64(k1)}\n`);
    expect(ring.active.key.equals(k2)).toBe(true);
    expect(ring.byId.size).toBe(2);
  });

  it('round-trips through formatHistoryKeyring', () => {
    const ring = parseHistoryKeyring(`b:${b64(k2)},a:${b64(k1)}`);
    expect(formatHistoryKeyring(parseHistoryKeyring(formatHistoryKeyring(ring)))).toBe(formatHistoryKeyring(ring));
    expect(formatHistoryKeyring(ring).startsWith('b:')).toBe(true);
  });

  it.each([
    ['', /no keys/],
    ['# only a comment', /no keys/],
    [`nocolon${b64(k1)}`, /entry 1 must be "id:base64-key"/],
    [`short:${b64(randomBytes(16))}`, /"short" must be 32 bytes \(got 16\)/],
    [`a:${b64(k1)},a:${b64(k2)}`, /"a" appears twice/],
    [`bad id:${b64(k1)}`, /must be 1-64 characters/],
    ['x:not base64!', /"x" is not base64/],
  ])('refuses %j', (spec, message) => {
    expect(() => parseHistoryKeyring(spec)).toThrow(HistoryKeyringError);
    expect(() => parseHistoryKeyring(spec)).toThrow(message);
  });

  it('never puts key material in its errors', () => {
    const secret = b64(randomBytes(16));
    expect(() => parseHistoryKeyring(`k:${secret}`)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });
});

describe('generateHistoryKey', () => {
  it('makes a 32-byte key with a dated, unique id', () => {
    const a = generateHistoryKey('hk', new Date('2026-12-03T00:00:00Z'));
    const b = generateHistoryKey('hk', new Date('2026-12-03T00:00:00Z'));
    expect(a.id).toMatch(/^hk-20261203-[0-9a-f]{6}$/);
    expect(a.key.length).toBe(32);
    expect(a.id).not.toBe(b.id);
  });
});
