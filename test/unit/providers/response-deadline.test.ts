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

  it('sets the SDK backstop well past the deadline', () => {
    expect(sdkBackstopTimeoutMs(1000)).toBeGreaterThan(2000);
  });
});
