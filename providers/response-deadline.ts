import { FailureType } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';

/**
 * The per-attempt timeout of one upstream call, kept by the gateway rather than left to the SDK.
 *
 * The `openai` and `@anthropic-ai/sdk` clients tell a timeout from a refused connection by
 * `err.name === 'AbortError'` after `err instanceof Error`; a DOMException from another realm
 * (undici's fetch seen from a VM context such as a test runner's) fails that check and the SDK
 * reports a plain connection error. Owning the timer makes the distinction exact everywhere: the
 * call's signal is the caller's signal joined with this deadline, and if the deadline fired
 * (and the caller did not abort) the failure is a timeout, whatever the SDK called it.
 *
 * The deadline covers the call until {@link ResponseDeadline.met} — for a non-streaming call the
 * whole answer, for a stream its response headers — matching the SDKs' own `timeout` semantics
 * for streams and closing the gap they leave for a body that never finishes. An optional total
 * bound (a deployment's `timeouts.total_ms`, or what is left of the client's deadline) keeps
 * running after that, over a stream's body too, until {@link ResponseDeadline.finish}.
 */
export class ResponseDeadline {
  /** Pass this to the SDK call: aborts on the caller's abort or when the deadline passes. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly totalTimer: NodeJS.Timeout | undefined;
  private fired: number | undefined;
  /** The caller's signal while its abort is forwarded (until `finish`). */
  private callerSignal: AbortSignal | undefined;
  private readonly forwardAbort = (): void => {
    this.controller.abort(this.callerSignal?.reason);
  };

  /**
   * @param timeoutMs until the upstream answers (a stream: its response headers).
   * @param totalMs bound on the whole call, a stream's body included; undefined = none.
   */
  constructor(
    readonly timeoutMs: number,
    callerSignal: AbortSignal | undefined,
    readonly totalMs?: number,
  ) {
    this.timer = this.arm(timeoutMs);
    if (totalMs !== undefined) this.totalTimer = this.arm(totalMs);
    // The caller's abort is forwarded by a listener that `finish` removes, rather than joined with
    // `AbortSignal.any` (which costs a signal with weak-reference bookkeeping per call).
    this.signal = this.controller.signal;
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else if (callerSignal) {
      this.callerSignal = callerSignal;
      callerSignal.addEventListener('abort', this.forwardAbort, { once: true });
    }
  }

  private arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(
      () => {
        this.fired ??= ms;
        this.controller.abort();
      },
      Math.max(1, ms),
    );
    timer.unref();
    return timer;
  }

  /** The upstream answered in time: stop the first clock (later stream reads are bound by the total only). */
  met(): void {
    clearTimeout(this.timer);
  }

  /** The call is over: stop both clocks. */
  finish(): void {
    clearTimeout(this.timer);
    if (this.totalTimer) clearTimeout(this.totalTimer);
    this.callerSignal?.removeEventListener('abort', this.forwardAbort);
    this.callerSignal = undefined;
  }

  /**
   * The timeout error if the deadline fired and caused `err`, else `undefined`. Clears the timer.
   * A caller's abort is never reported as a timeout.
   */
  timeoutError(callerSignal: AbortSignal | undefined, provider: string): UpstreamError | undefined {
    this.finish();
    if (this.fired === undefined || callerSignal?.aborted) return undefined;
    return new UpstreamError(`${provider} did not answer within ${this.fired} ms`, { failureType: FailureType.ProviderTimeout, provider });
  }
}

/**
 * SDK-side timeout to configure next to a {@link ResponseDeadline}: a backstop only, long enough
 * that the gateway's own deadline always fires first.
 */
export function sdkBackstopTimeoutMs(timeoutMs: number): number {
  return timeoutMs * 2 + 1_000;
}
