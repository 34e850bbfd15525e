import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';

/** Where the Temporal UI runs by default (`temporal server start-dev`, UI port 8233). */
export const DEFAULT_CODEC_CORS_ORIGINS: ReadonlyArray<string> = Object.freeze(['http://localhost:8233', 'http://127.0.0.1:8233']);

/**
 * The default origins plus those of the Temporal UI that `npm start` runs itself (on
 * `TEMPORAL_UI_PORT`, which may not be 8233), as `localhost` and `127.0.0.1`.
 *
 * @param uiUrl the embedded UI's URL (`http://127.0.0.1:<port>`); null when there is none.
 */
export function codecOriginsWithUi(uiUrl: string | null): ReadonlyArray<string> {
  if (uiUrl === null) return DEFAULT_CODEC_CORS_ORIGINS;
  const { protocol, port } = new URL(uiUrl);
  const local = ['localhost', '127.0.0.1'].map((host) => `${protocol}//${host}${port ? `:${port}` : ''}`);
  return [...new Set([...DEFAULT_CODEC_CORS_ORIGINS, ...local])];
}

/** Headers the Temporal UI sends to a codec server (`X-Namespace`, JSON, and a bearer token when configured). */
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';

/**
 * CORS for the codec endpoint, which the Temporal UI calls from the browser. Listed origins get
 * `Access-Control-Allow-Origin` (with credentials, for the UI's "include cross-origin
 * credentials" setting) and their preflight answered; a request from any other browser origin is
 * refused with 403 before authentication, since this endpoint decrypts on demand. Requests
 * without an `Origin` (the Temporal CLI, scripts) pass.
 *
 * @param origins exact origins (`scheme://host:port`); default {@link DEFAULT_CODEC_CORS_ORIGINS}.
 */
export function codecCors(origins: ReadonlyArray<string> = DEFAULT_CODEC_CORS_ORIGINS) {
  const allowed = new Set(origins);
  return function codecCorsMiddleware(req: Request, res: Response, next: NextFunction): void {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowed.has(origin)) {
        throw new HttpError(403, `Origin ${origin.slice(0, 200)} may not call the codec endpoint (SWITCHYARD_CODEC_CORS_ORIGINS).`, {
          code: 'origin_not_allowed',
        });
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
