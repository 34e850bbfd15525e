import type { Request, Response } from 'express';
import { CODEC_SESSION_COOKIE, CODEC_SESSION_TTL_SECONDS, type CodecSessions } from '../codec-session';
import { HttpError } from '../http-error';

/** The page may not be framed, run scripts, or post anywhere but here. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** `GET /codec/session`: a sign-in form for the codec endpoint (the admin token, posted here). */
export function codecSessionForm() {
  return function codecSessionFormHandler(_req: Request, res: Response): void {
    res.set(PAGE_HEADERS).send(
      page(
        'Switchyard codec sign-in',
        `<p>Sign in once so the Temporal UI can decrypt workflow history through this gateway.</p>
<form method="post" action="session"><label>Admin token <input type="password" name="token" autocomplete="off" required></label> <button>Sign in</button></form>`,
      ),
    );
  };
}

/**
 * `POST /codec/session` (form field `token`): checks the admin token and sets the codec session
 * cookie (HttpOnly, SameSite=Strict, Path=/codec, 8 hours; Secure over HTTPS). 401 for a wrong
 * token, 403 when the admin API is disabled, 404 when history encryption is off.
 */
export function createCodecSession(sessions: CodecSessions | undefined, encryptionOn: boolean) {
  return function createCodecSessionHandler(req: Request, res: Response): void {
    if (!encryptionOn)
      throw new HttpError(404, 'History encryption is off (SWITCHYARD_HISTORY_ENCRYPTION=off): there is nothing to decode.', { code: 'codec_disabled' });
    if (!sessions) throw new HttpError(403, 'The admin API is disabled: set SWITCHYARD_ADMIN_TOKEN to enable it.', { code: 'admin_disabled' });
    const token: unknown = (req.body as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || !sessions.isAdminToken(token)) throw new HttpError(401, 'Invalid admin token.', { code: 'invalid_admin_token' });
    res.cookie(CODEC_SESSION_COOKIE, sessions.issue(), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/codec',
      maxAge: CODEC_SESSION_TTL_SECONDS * 1000,
      encode: String,
    });
    const endpoint = escapeHtml(`${req.protocol}://${req.get('host') ?? 'this-gateway'}/codec`);
    res.set(PAGE_HEADERS).send(
      page(
        'Signed in',
        `<p>This browser may use the codec endpoint for ${CODEC_SESSION_TTL_SECONDS / 3600} hours.</p>
<p>In the Temporal UI (same host name as this page, e.g. both <code>127.0.0.1</code>): open the codec server settings,
choose the browser setting, set the endpoint to <code>${endpoint}</code>, tick <em>Include cross-origin credentials</em>, and apply.</p>`,
      ),
    );
  };
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
