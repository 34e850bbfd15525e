/**
 * Low-level response writing shared by the dialects: JSON, streams, waits and hangs.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { StreamPlan } from './types';

/** Longest a `#fault=hang` request holds its socket, in ms. */
export const HANG_MS = 120_000;
/**
 * Pause between the last frame and the socket kill for `#fault=cut`, in ms. Without it the
 * client can see the reset before it has read the frames, and fetch drops queued chunks.
 */
const CUT_GRACE_MS = 50;

/** Reads the whole request body as UTF-8. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Sends `body` as a complete JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendRaw(res, status, JSON.stringify(body), { ...headers, 'content-type': 'application/json' });
}

/** Sends a complete response with an explicit content length. */
export function sendRaw(res: ServerResponse, status: number, body: string, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Resolves true after `ms`, or false as soon as the client goes away. The timer is unref'd so
 * a pending wait never keeps the process alive.
 */
export function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (isGone(res)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!isGone(res));
    }, ms);
    timer.unref();
    res.once('close', onClose);
  });
}

/** True when the client has disconnected or the response is already finished. */
export function isGone(res: ServerResponse): boolean {
  return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
}

/** Holds the request open without answering, then drops the socket (`#fault=hang`). */
export async function hang(res: ServerResponse): Promise<void> {
  if (await waitUnlessClosed(res, HANG_MS)) res.socket?.destroy();
}

/**
 * Writes a stream plan. With `cut`, writes frames up to `plan.cutIndex` and then destroys the
 * socket, so the client sees a body that ends mid-stream without a clean terminator.
 */
export function writeStream(res: ServerResponse, plan: StreamPlan, cut = false): void {
  res.writeHead(200, { ...plan.headers, 'content-type': plan.contentType, 'cache-control': 'no-cache' });
  const frames = cut ? plan.frames.slice(0, plan.cutIndex) : plan.frames;
  // Cork so the frames leave in one writev instead of one syscall each.
  res.cork();
  for (const frame of frames) res.write(frame);
  if (!cut) {
    res.end();
    res.uncork();
    return;
  }
  res.uncork();
  const kill = setTimeout(() => res.socket?.destroy(), CUT_GRACE_MS);
  kill.unref();
}
