import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Cookie carrying a codec session (HttpOnly, SameSite=Strict, Path=/codec). */
export const CODEC_SESSION_COOKIE = 'switchyard_codec';
/** How long a codec session lasts: one working day. */
export const CODEC_SESSION_TTL_SECONDS = 8 * 60 * 60;

/**
 * Browser sessions for the codec endpoint. The Temporal UI cannot send a static bearer token
 * (it sends only its own OIDC access token, or cookies with "include cross-origin credentials"),
 * so an operator signs in once with the admin token and the browser keeps a cookie:
 * `<expiry>.<HMAC-SHA256(expiry)>`, keyed by the admin token — changing the token ends every
 * session. Nothing is stored server-side.
 */
export class CodecSessions {
  private readonly key: Buffer;
  private readonly tokenDigest: Buffer;

  constructor(adminToken: string) {
    this.tokenDigest = createHash('sha256').update(adminToken).digest();
    this.key = createHash('sha256').update('switchyard codec session\0').update(adminToken).digest();
  }

  /** Whether `token` is the admin token (constant time). */
  isAdminToken(token: string): boolean {
    return timingSafeEqual(createHash('sha256').update(token).digest(), this.tokenDigest);
  }

  /** A new session cookie value, valid for {@link CODEC_SESSION_TTL_SECONDS}. */
  issue(nowMs: number = Date.now()): string {
    const expires = Math.floor(nowMs / 1000) + CODEC_SESSION_TTL_SECONDS;
    return `${expires}.${this.mac(expires)}`;
  }

  /** Whether a cookie value is a session this token issued that has not expired. */
  verify(value: string | undefined, nowMs: number = Date.now()): boolean {
    const match = value === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return false;
    const expires = Number(match[1]);
    if (expires * 1000 <= nowMs) return false;
    return timingSafeEqual(Buffer.from(match[2]!), Buffer.from(this.mac(expires)));
  }

  private mac(expires: number): string {
    return createHmac('sha256', this.key).update(`codec-session:${expires}`).digest('base64url');
  }
}

/** The value of one cookie of a `Cookie` header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
