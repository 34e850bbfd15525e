import { setMaxListeners } from 'node:events';
import net from 'node:net';
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error';

/** What request handlers see of a graceful shutdown. */
export interface DrainState {
  /** True from the shutdown signal on: `/readyz` answers 503 and responses carry `Connection: close`. */
  readonly draining: boolean;
  /**
   * Aborts at the drain deadline: a stream still running ends with a final SSE error event, a
   * request still waiting on its workflow answers 503 `server_shutting_down`.
   */
  readonly deadline: AbortSignal;
}

/** Why the deadline signal aborted (its `reason`). */
export const DRAIN_DEADLINE_REASON = 'drain deadline';

/**
 * How long requests get, after the deadline, to write their final event or 503 and settle
 * their budget hold before the remaining connections are closed (ms).
 */
const AFTER_DEADLINE_MS = 5_000;

/**
 * Graceful shutdown of the HTTP server. `middleware()` tracks every request in flight;
 * `drain(server, ms)` then stops accepting connections, lets in-flight requests finish for up to
 * `ms`, fires the deadline for the rest, and closes what is left.
 *
 * Keep-alive connections are not reset while requests may still arrive on them: the listener
 * closes (new connections are refused), but an idle keep-alive connection stays open during the
 * drain and its next request is answered, with `Connection: close`, so the client moves on
 * without an error. Idle connections are closed once nothing is in flight.
 */
export class HttpDrain implements DrainState {
  private state = false;
  private readonly active = new Set<Response>();
  private readonly deadlineController = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor() {
    // Every request in flight listens on the deadline (and stops listening when it ends), so
    // thousands of listeners are normal here, not the leak Node warns about past 10.
    setMaxListeners(Infinity, this.deadlineController.signal);
  }

  get draining(): boolean {
    return this.state;
  }

  get deadline(): AbortSignal {
    return this.deadlineController.signal;
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.active.size;
  }

  /** Tracks each request until its response closes; during a drain, marks it `Connection: close`. */
  middleware() {
    const track = (res: Response): void => {
      this.active.add(res);
      res.once('close', () => {
        this.active.delete(res);
        if (this.active.size === 0) this.wakeIdleWaiters();
      });
      if (this.state) res.setHeader('connection', 'close');
    };
    return function drainMiddleware(_req: Request, res: Response, next: NextFunction): void {
      track(res);
      next();
    };
  }

  /**
   * Drains `server`: no new connections, in-flight requests finish within `drainMs`, then the
   * deadline fires and, `AFTER_DEADLINE_MS` later at most, every remaining connection is closed.
   * Resolves once the server is closed.
   */
  async drain(server: Server, drainMs: number): Promise<{ finishedInTime: boolean }> {
    this.state = true;
    for (const res of this.active) if (!res.headersSent) res.setHeader('connection', 'close');
    // net.Server#close stops listening; http.Server#close would also drop idle keep-alive
    // connections at once, racing a request the client is sending on one (a reset).
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
    const finishedInTime = await this.idle(drainMs);
    if (!finishedInTime) {
      this.deadlineController.abort(DRAIN_DEADLINE_REASON);
      await this.idle(AFTER_DEADLINE_MS);
    }
    server.closeAllConnections();
    await closed;
    return { finishedInTime };
  }

  /** Resolves true once nothing is in flight, or false after `ms`. */
  private idle(ms: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(wake);
    });
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * `promise`, unless the drain deadline fires first: then 503 `server_shutting_down`. The work
 * behind the promise is not cancelled (a workflow goes on in Temporal).
 */
export async function beforeDeadline<T>(promise: Promise<T>, drain: DrainState | undefined): Promise<T> {
  if (!drain) return promise;
  const signal = drain.deadline;
  if (signal.aborted) throw shuttingDown();
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(shuttingDown());
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** The answer to a request the gateway stopped waiting for because it is shutting down. */
export function shuttingDown(): HttpError {
  return new HttpError(503, 'The gateway is shutting down and stopped waiting for this request; retry it.', {
    type: 'api_error',
    code: 'server_shutting_down',
    headers: { 'retry-after': '1' },
  });
}
