import { executePlan } from '../../../batch/execute-plan';
import type { RouteAttempt } from '../../../config/route-plan';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';

const retry = { maxAttempts: 3, initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 1000 };
const a: RouteAttempt = { model: 'm', provider: 'a', upstreamModel: 'ua' };
const b: RouteAttempt = { model: 'm', provider: 'b', upstreamModel: 'ub' };

function failing(type: FailureType, retryAfterMs?: number): UpstreamError {
  return new UpstreamError(`failed with ${type}`, { failureType: type, retryAfterMs });
}

/** Runs a plan whose calls answer from `script` per provider, recording calls and waits. */
async function run(script: Record<string, Array<UpstreamError | string>>, plan: RouteAttempt[] = [a, b]) {
  const calls: string[] = [];
  const waits: number[] = [];
  const outcome = await executePlan({
    plan,
    retry,
    random: () => 0.5,
    wait: async (ms) => {
      waits.push(ms);
    },
    call: async (attempt) => {
      calls.push(attempt.provider);
      const next = script[attempt.provider]!.shift()!;
      if (next instanceof UpstreamError) throw next;
      return next;
    },
  });
  return { outcome, calls, waits };
}

describe('executePlan (batch items outside Temporal)', () => {
  it('retries a deployment with jittered backoff, then answers', async () => {
    const { outcome, calls, waits } = await run({ a: [failing(FailureType.ProviderServerError), failing(FailureType.ProviderServerError), 'ok'], b: [] });
    expect(outcome).toEqual({ ok: true, result: { response: 'ok', served: a, fallbacks: 0 } });
    expect(calls).toEqual(['a', 'a', 'a']);
    expect(waits).toEqual([100, 200]);
  });

  it('waits the upstream Retry-After instead of the backoff', async () => {
    const { waits } = await run({ a: [failing(FailureType.ProviderRateLimited, 1500), 'ok'], b: [] });
    expect(waits).toEqual([1500]);
  });

  it('falls back after max_attempts, and at once on a deployment-only failure', async () => {
    const exhausted = await run({ a: [1, 2, 3].map(() => failing(FailureType.ProviderTimeout)), b: ['from b'] });
    expect(exhausted.calls).toEqual(['a', 'a', 'a', 'b']);
    expect(exhausted.outcome).toMatchObject({ ok: true, result: { served: b, fallbacks: 1 } });
    const auth = await run({ a: [failing(FailureType.ProviderAuth)], b: ['from b'] });
    expect(auth.calls).toEqual(['a', 'b']);
  });

  it('ends the plan on a request-fatal failure and returns the last failure otherwise', async () => {
    const fatal = await run({ a: [failing(FailureType.ProviderContextLength)], b: ['never'] });
    expect(fatal.calls).toEqual(['a']);
    expect(fatal.outcome).toMatchObject({ ok: false, error: { failureType: FailureType.ProviderContextLength } });
    const all = await run({ a: [failing(FailureType.ProviderNotFound)], b: [1, 2, 3].map(() => failing(FailureType.ProviderServerError)) });
    expect(all.outcome).toMatchObject({ ok: false, error: { failureType: FailureType.ProviderServerError, provider: 'b' } });
  });

  it('counts an unexpected error as a retryable server error of that provider', async () => {
    let calls = 0;
    const outcome = await executePlan({
      plan: [a],
      retry: { ...retry, maxAttempts: 2 },
      wait: async () => undefined,
      call: async () => {
        calls++;
        throw new TypeError('boom');
      },
    });
    expect(calls).toBe(2);
    expect(outcome).toMatchObject({ ok: false, error: { failureType: FailureType.ProviderServerError, provider: 'a' } });
  });
});
