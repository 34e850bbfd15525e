import { CODEC_SESSION_TTL_SECONDS, CodecSessions, cookieValue } from '../../../api/codec-session';

describe('CodecSessions', () => {
  const sessions = new CodecSessions('admin-token-0123456789');
  const now = Date.parse('2026-12-03T10:00:00Z');

  it('accepts a session it issued until it expires', () => {
    const value = sessions.issue(now);
    expect(sessions.verify(value, now)).toBe(true);
    expect(sessions.verify(value, now + (CODEC_SESSION_TTL_SECONDS - 1) * 1000)).toBe(true);
    expect(sessions.verify(value, now + CODEC_SESSION_TTL_SECONDS * 1000)).toBe(false);
  });

  it('refuses a tampered or extended session, and any session after the admin token changed', () => {
    const value = sessions.issue(now);
    const [expires, mac] = value.split('.') as [string, string];
    expect(sessions.verify(`${Number(expires) + 3600}.${mac}`, now)).toBe(false);
    expect(sessions.verify(`${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, now)).toBe(false);
    expect(new CodecSessions('another-admin-token-000').verify(value, now)).toBe(false);
    for (const junk of [undefined, '', 'x', `${expires}.`, `.${mac}`, `${expires}.${mac}.x`]) expect(sessions.verify(junk, now)).toBe(false);
  });

  it('checks the admin token', () => {
    expect(sessions.isAdminToken('admin-token-0123456789')).toBe(true);
    expect(sessions.isAdminToken('admin-token-012345678')).toBe(false);
  });
});

describe('cookieValue', () => {
  it('finds one cookie among several', () => {
    expect(cookieValue('a=1; switchyard_codec=v.x ; b=2', 'switchyard_codec')).toBe('v.x');
    expect(cookieValue('switchyard_codec_other=1', 'switchyard_codec')).toBeUndefined();
    expect(cookieValue(undefined, 'switchyard_codec')).toBeUndefined();
  });
});
