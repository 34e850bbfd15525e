import { MemoryRateLimitStore } from '../../../ratelimit/memory-store';
import { RateLimiter, type AppliedLimit } from '../../../ratelimit/rate-limiter';
import { WINDOW_MS } from '../../../ratelimit/sliding-window';
import { RateLimitScope } from '../../../ratelimit/store';

const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW_MS);
const KEY = { id: 'key_a', tenantId: 'tenant_a' };
const keyScope = { scope: RateLimitScope.Key, scopeId: KEY.id };
const tenantScope = { scope: RateLimitScope.Tenant, scopeId: KEY.tenantId };

/** A clock the test moves by hand. */
function manualClock(start = T0 + 5_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function limiterOn(store: MemoryRateLimitStore, clock: { now: () => number }, shareFraction = 0.1): RateLimiter {
  // No timer in unit tests: syncs happen on demand, or when a test calls sync().
  return new RateLimiter({ store, clock: clock.now, shareFraction });
}

const rpm = (n: number): AppliedLimit[] => [{ ref: keyScope, rpm: n, tpm: null }];

describe('RateLimiter, one instance', () => {
  it('admits up to the limit, then refuses with a Retry-After, and does not count refusals', async () => {
    const store = new MemoryRateLimitStore();
    const clock = manualClock();
    const limiter = limiterOn(store, clock);
    const results = [];
    for (let i = 0; i < 25; i += 1) results.push(await limiter.admit(rpm(20), 0));
    expect(results.filter((r) => r.admitted)).toHaveLength(20);
    const refused = results[24]!;
    expect(refused.admitted).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.requests).toMatchObject({ limit: 20, remaining: 0 });
    await limiter.sync();
    expect(store.total(keyScope, T0).requests).toBe(20);
  });

  it('reports the remaining count after each admission', async () => {
    const limiter = limiterOn(new MemoryRateLimitStore(), manualClock());
    expect((await limiter.admit(rpm(5), 0)).requests).toMatchObject({ limit: 5, remaining: 4 });
    expect((await limiter.admit(rpm(5), 0)).requests).toMatchObject({ limit: 5, remaining: 3 });
  });

  it('frees room as the window slides', async () => {
    const clock = manualClock(T0 + 30_000);
    const limiter = limiterOn(new MemoryRateLimitStore(), clock);
    for (let i = 0; i < 10; i += 1) expect((await limiter.admit(rpm(10), 0)).admitted).toBe(true);
    expect((await limiter.admit(rpm(10), 0)).admitted).toBe(false);
    // 45 s into the next window a quarter of the previous window still counts: 2.5 of 10.
    clock.advance(75_000);
    const admitted = [];
    for (let i = 0; i < 10; i += 1) admitted.push((await limiter.admit(rpm(10), 0)).admitted);
    expect(admitted.filter(Boolean)).toHaveLength(7);
  });

  it('counts tokens, and refuses a request larger than the whole tokens-per-minute limit', async () => {
    const limiter = limiterOn(new MemoryRateLimitStore(), manualClock());
    const tpm: AppliedLimit[] = [{ ref: keyScope, rpm: null, tpm: 1000 }];
    expect((await limiter.admit(tpm, 600)).admitted).toBe(true);
    const second = await limiter.admit(tpm, 600);
    expect(second.admitted).toBe(false);
    expect(second.refusedBy).toMatchObject({ measure: 'tokens', limit: 1000, requested: 600 });
    expect(second.tokens).toMatchObject({ limit: 1000, remaining: 400 });
    expect((await limiter.admit(tpm, 1001)).retryAfterMs).toBe(Infinity);
  });

  it('applies key and tenant limits together; the headers show the tighter one', async () => {
    const limiter = limiterOn(new MemoryRateLimitStore(), manualClock());
    const both: AppliedLimit[] = [
      { ref: keyScope, rpm: 100, tpm: null },
      { ref: tenantScope, rpm: 3, tpm: null },
    ];
    const first = await limiter.admit(both, 0);
    expect(first.requests).toMatchObject({ limit: 3, remaining: 2 });
    await limiter.admit(both, 0);
    await limiter.admit(both, 0);
    const refused = await limiter.admit(both, 0);
    expect(refused.admitted).toBe(false);
    expect(refused.refusedBy?.ref).toEqual(tenantScope);
  });

  it('caches "no limits": a key without limits costs one store lookup, not one per request', async () => {
    const store = new MemoryRateLimitStore();
    const clock = manualClock();
    const limiter = limiterOn(store, clock);
    expect(limiter.peekLimits(KEY)).toBeUndefined();
    expect(await limiter.loadLimits(KEY)).toEqual([]);
    for (let i = 0; i < 100; i += 1) expect(limiter.peekLimits(KEY)).toEqual([]);
    expect(store.calls.findLimits).toBe(1);
    // After the TTL the stale answer is served while one reload runs in the background.
    store.setLimits(keyScope, { rpm: 7, tpm: null });
    clock.advance(6_000);
    expect(limiter.peekLimits(KEY)).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(limiter.peekLimits(KEY)).toEqual([{ ref: keyScope, rpm: 7, tpm: null }]);
    expect(store.calls.findLimits).toBe(2);
  });

  it('fails open when the store is down: it keeps counting locally', async () => {
    const store = new MemoryRateLimitStore();
    const errors: unknown[] = [];
    const limiter = new RateLimiter({ store, clock: manualClock().now, onSyncError: (err) => errors.push(err) });
    store.failWith = new Error('connection refused');
    const results = [];
    for (let i = 0; i < 8; i += 1) results.push((await limiter.admit(rpm(5), 0)).admitted);
    expect(results.filter(Boolean)).toHaveLength(5);
    expect(errors).toHaveLength(1);
    // The counts are sent once the store is back.
    store.failWith = undefined;
    await limiter.sync();
    expect(store.total(keyScope, T0).requests).toBe(5);
  });
});

describe('RateLimiter, two instances sharing one store', () => {
  it('holds the limit within the documented tolerance when requests alternate', async () => {
    const store = new MemoryRateLimitStore();
    const clock = manualClock();
    const a = limiterOn(store, clock);
    const b = limiterOn(store, clock);
    let admitted = 0;
    for (let i = 0; i < 60; i += 1) if ((await (i % 2 ? a : b).admit(rpm(20), 0)).admitted) admitted += 1;
    // Sequential alternation: each instance syncs before using more than its share, so at most
    // one request per other instance slips through unseen.
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(21);
  });

  it('concurrent admissions on both instances stay within limit + (instances - 1) x share', async () => {
    const store = new MemoryRateLimitStore(1);
    const clock = manualClock();
    const a = limiterOn(store, clock);
    const b = limiterOn(store, clock);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).admit(rpm(100), 0)));
    const admitted = results.filter((r) => r.admitted).length;
    expect(admitted).toBeGreaterThanOrEqual(100);
    // Share = 10% of the room left, at most 10 here.
    expect(admitted).toBeLessThanOrEqual(110);
    await Promise.all([a.sync(), b.sync()]);
    expect(store.total(keyScope, T0).requests).toBe(admitted);
  });

  it('four instances bursting at once: about one request over per other instance', async () => {
    const store = new MemoryRateLimitStore(1);
    const clock = manualClock();
    const limiters = Array.from({ length: 4 }, () => limiterOn(store, clock));
    const results = await Promise.all(Array.from({ length: 3000 }, (_, i) => limiters[i % 4]!.admit(rpm(1000), 0)));
    const admitted = results.filter((r) => r.admitted).length;
    expect(admitted).toBeGreaterThanOrEqual(1000);
    // The documented bound is (instances − 1) × share (share ≤ 100 here); near the limit the share is 1.
    expect(admitted).toBeLessThanOrEqual(1000 + 3 * 100);
    expect(admitted).toBeLessThanOrEqual(1000 + 3 * 3);
  });

  it('an instance sees the other one’s traffic before its first admission', async () => {
    const store = new MemoryRateLimitStore();
    const clock = manualClock();
    const a = limiterOn(store, clock);
    for (let i = 0; i < 10; i += 1) await a.admit(rpm(10), 0);
    await a.sync();
    const b = limiterOn(store, clock);
    expect((await b.admit(rpm(10), 0)).admitted).toBe(false);
  });

  it('counts admitted just before a window boundary reach the previous window row', async () => {
    const store = new MemoryRateLimitStore();
    const clock = manualClock(T0 + 59_900);
    const a = limiterOn(store, clock);
    await a.admit(rpm(50), 0);
    await a.admit(rpm(50), 0);
    clock.advance(200);
    await a.sync();
    expect(store.total(keyScope, T0).requests).toBe(2);
  });
});
