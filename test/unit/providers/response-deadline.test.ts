import { setTimeout as sleep } from 'node:timers/promises';
import { FailureType } from '../../../errors/failure-types';
import { ResponseDeadline, sdkBackstopTimeoutMs } from '../../../providers/response-deadline';

describe('ResponseDeadline', () => {
  it('aborts its signal and reports a timeout when the upstream is too slow', async () => {
    const deadline = new ResponseDeadline(20, undefined);
    await sleep(60);
    expect(deadline.signal.aborted).toBe(true);
    const err = deadline.timeoutError(undefined, 'oai');
    expect(err?.failureType).toBe(FailureType.ProviderTimeout);
    expect(err?.provider).toBe('oai');
    expect(err?.message).toContain('20 ms');
  });

  it('reports nothing once the answer came in time, and its signal never fires', async () => {
    const deadline = new ResponseDeadline(20, undefined);
    deadline.met();
    await sleep(60);
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.timeoutError(undefined, 'oai')).toBeUndefined();
  });

  it("follows the caller's abort and never calls it a timeout", async () => {
    const caller = new AbortController();
    const deadline = new ResponseDeadline(20, caller.signal);
    caller.abort(new Error('client went away'));
    expect(deadline.signal.aborted).toBe(true);
    await sleep(60);
    expect(deadline.timeoutError(caller.signal, 'oai')).toBeUndefined();
  });

  it("carries the caller's abort reason, also for a caller aborted before the call", () => {
    const reason = new Error('client went away');
    const caller = new AbortController();
    const deadline = new ResponseDeadline(1_000, caller.signal);
    caller.abort(reason);
    expect(deadline.signal.reason).toBe(reason);
    deadline.finish();
    const early = new ResponseDeadline(1_000, AbortSignal.abort(reason));
    expect([early.signal.aborted, early.signal.reason]).toEqual([true, reason]);
    early.finish();
  });

  it("lets go of the caller's signal when finished: a later abort no longer reaches it", () => {
    const caller = new AbortController();
    const deadline = new ResponseDeadline(1_000, caller.signal);
    deadline.met();
    expect(deadline.signal.aborted).toBe(false);
    deadline.finish();
    caller.abort(new Error('after the call'));
    expect(deadline.signal.aborted).toBe(false);
  });

  it('sets the SDK backstop well past the deadline', () => {
    expect(sdkBackstopTimeoutMs(1000)).toBeGreaterThan(2000);
  });
});
