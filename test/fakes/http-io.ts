/**
 * Response writing shared by the dialects: JSON, streams, waits and hangs.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Reply } from './reply';
import type { StreamPlan } from './types';

/** Longest a `#fault=hang` request holds its connection, in ms. */
export const HANG_MS = 120_000;
/**
 * Pause between the last frame and the break for `#fault=cut`, in ms. Without it the client
 * can see the reset before it has read the frames, and fetch drops chunks it had queued.
 */
const CUT_GRACE_MS = 50;

/** Reads the whole request body as UTF-8. */
export function readBody(req: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Sends `body` as a complete JSON response. */
export function sendJson(res: Reply, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendRaw(res, status, JSON.stringify(body), { ...headers, 'content-type': 'application/json' });
}

/** Sends a complete response with an explicit content length. */
export function sendRaw(res: Reply, status: number, body: string, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Resolves true after `ms`, or false as soon as the client goes away. The timer is unref'd so
 * a pending wait never keeps the process alive.
 */
export function waitUnlessClosed(res: Reply, ms: number): Promise<boolean> {
  if (res.gone) return Promise.resolve(false);
  return new Promise((resolve) => {
    const unsubscribe = res.onClose(() => {
      clearTimeout(timer);
      resolve(false);
    });
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(!res.gone);
    }, ms);
    timer.unref();
  });
}

/** Holds the request open without answering, then breaks it (`#fault=hang`). */
export async function hang(res: Reply): Promise<void> {
  if (await waitUnlessClosed(res, HANG_MS)) res.abort();
}

/** `#gap=MS`: one frame, then a pause, and so on; stops if the client goes away. */
async function writeSlowly(res: Reply, frames: (string | Uint8Array)[], gapMs: number, ending: 'end' | 'cut' | 'stall'): Promise<void> {
  for (const [i, frame] of frames.entries()) {
    if (i > 0 && !(await waitUnlessClosed(res, gapMs))) return;
    res.write(frame);
  }
  if (ending === 'end') res.end();
  if (ending === 'cut') setTimeout(() => res.abort(), CUT_GRACE_MS).unref();
  if (ending === 'stall') void hang(res);
}

/**
 * Writes a stream plan. With `cut`, writes frames up to `plan.cutIndex` and then breaks the
 * exchange, so the client sees a body that stops mid-stream without a clean end. With `stall`,
 * writes the same frames and then holds the exchange open like `hang` (a stream that stops
 * mid-way and never ends).
 */
export function writeStream(res: Reply, plan: StreamPlan, ending: 'end' | 'cut' | 'stall' = 'end', gapMs = 0): void {
  res.writeHead(200, { ...plan.headers, 'content-type': plan.contentType, 'cache-control': 'no-cache' });
  const frames = ending === 'end' ? plan.frames : plan.frames.slice(0, plan.cutIndex);
  if (gapMs > 0) {
    void writeSlowly(res, frames, gapMs, ending);
    return;
  }
  // Cork so the frames leave in one write instead of one syscall each.
  res.cork();
  for (const frame of frames) res.write(frame);
  if (ending === 'end') res.end();
  res.uncork();
  if (ending === 'cut') setTimeout(() => res.abort(), CUT_GRACE_MS).unref();
  if (ending === 'stall') void hang(res);
}
