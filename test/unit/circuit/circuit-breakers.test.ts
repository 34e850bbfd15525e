import { CircuitBreakers } from '../../../circuit/circuit-breakers';
import { CallOutcome, outcomeOfFailure, outcomeOfFailureBefore } from '../../../circuit/outcome';
import { DEFAULT_CIRCUIT_SETTINGS, type CircuitSettings } from '../../../circuit/settings';
import { applyOutcomes, closedRecord, effectiveState } from '../../../circuit/state-machine';
import { MemoryCircuitStore } from '../../../circuit/store';
import type { CircuitConfig } from '../../../config/gateway-config';

const SETTINGS: CircuitSettings = { ...DEFAULT_CIRCUIT_SETTINGS, windowMs: 10_000, minFailures: 3, failureRate: 0.5, openMs: 5_000, successesToClose: 2 };
const CONFIG: CircuitConfig = { defaults: SETTINGS, byDeployment: new Map(), syncIntervalMs: 250 };

function fleet(count: number) {
  const store = new MemoryCircuitStore();
  let now = 1_000_000;
  const clock = () => now;
  const transitions: string[] = [];
  const members = Array.from(
    { length: count },
    () => new CircuitBreakers({ store, config: CONFIG, clock, onTransition: (t) => transitions.push(`${t.deployment}:${t.from}->${t.to}:${t.reason}`) }),
  );
  return { store, members, transitions, advance: (ms: number) => (now += ms), now: () => now };
}

describe('circuit state machine', () => {
  it('opens on enough failures at a high enough rate, not on a few among many successes', () => {
    let r = applyOutcomes(closedRecord('d', 0), { successes: 10, failures: 2 }, SETTINGS, 1).record;
    expect(r.state).toBe('closed');
    r = applyOutcomes(r, { successes: 0, failures: 5 }, SETTINGS, 2).record;
    expect(r.state).toBe('closed'); // 7 of 17 < 50 %
    const opened = applyOutcomes(r, { successes: 0, failures: 6 }, SETTINGS, 3);
    expect(opened.record.state).toBe('open');
    expect(opened.transition).toEqual({ deployment: 'd', from: 'closed', to: 'open', reason: 'failures' });
  });

  it('forgets a window once it has passed', () => {
    const r = applyOutcomes(closedRecord('d', 0), { successes: 0, failures: 2 }, SETTINGS, 1).record;
    const later = applyOutcomes(r, { successes: 0, failures: 2 }, SETTINGS, 10_001);
    expect(later.record).toMatchObject({ state: 'closed', failures: 2, windowStart: 10_001 });
  });

  it('is half-open after the cool-down: a failure re-opens, enough successes close', () => {
    const open = applyOutcomes(closedRecord('d', 0), { successes: 0, failures: 3 }, SETTINGS, 0).record;
    expect(effectiveState(open, 4_999)).toBe('open');
    expect(effectiveState(open, 5_000)).toBe('half_open');
    expect(applyOutcomes(open, { successes: 1, failures: 0 }, SETTINGS, 1_000).record.probeSuccesses).toBe(0); // stragglers while open
    const one = applyOutcomes(open, { successes: 1, failures: 0 }, SETTINGS, 5_000).record;
    expect(effectiveState(one, 5_000)).toBe('half_open');
    const closed = applyOutcomes(one, { successes: 1, failures: 0 }, SETTINGS, 5_001);
    expect(closed.transition).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probes_succeeded' });
    const reopened = applyOutcomes(one, { successes: 0, failures: 1 }, SETTINGS, 5_001);
    expect(reopened.transition).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe_failed' });
    expect(reopened.record.openUntil).toBe(10_001);
  });

  it('counts only upstream failures; 429 per setting', () => {
    expect(outcomeOfFailure('ProviderServerError', SETTINGS)).toBe(CallOutcome.Failure);
    expect(outcomeOfFailure('ProviderTimeout', SETTINGS)).toBe(CallOutcome.Failure);
    expect(outcomeOfFailure('ProviderConnection', SETTINGS)).toBe(CallOutcome.Failure);
    expect(outcomeOfFailure('ProviderRateLimited', SETTINGS)).toBe(CallOutcome.Failure);
    expect(outcomeOfFailure('ProviderRateLimited', { ...SETTINGS, countRateLimited: false })).toBe(CallOutcome.Neutral);
    for (const t of ['ProviderBadRequest', 'ProviderContextLength', 'BudgetExceeded', 'PriceUnknown', 'InvalidRequest', 'ProviderAuth', undefined]) {
      expect(outcomeOfFailure(t, SETTINGS)).toBe(CallOutcome.Neutral);
    }
  });

  it("counts a timeout as neutral when the client's deadline had come, and as a failure before it", () => {
    const deadlineAt = 1_000_000;
    expect(outcomeOfFailureBefore('ProviderTimeout', SETTINGS, deadlineAt, deadlineAt)).toBe(CallOutcome.Neutral);
    expect(outcomeOfFailureBefore('ProviderTimeout', SETTINGS, deadlineAt, deadlineAt - 2)).toBe(CallOutcome.Neutral);
    expect(outcomeOfFailureBefore('ProviderTimeout', SETTINGS, deadlineAt, deadlineAt - 500)).toBe(CallOutcome.Failure);
    expect(outcomeOfFailureBefore('ProviderTimeout', SETTINGS, undefined, deadlineAt)).toBe(CallOutcome.Failure);
    // Only the timeout is the deadline's doing: an upstream 5xx after it still counts.
    expect(outcomeOfFailureBefore('ProviderServerError', SETTINGS, deadlineAt, deadlineAt + 10)).toBe(CallOutcome.Failure);
  });
});

describe('CircuitBreakers', () => {
  it('opens locally at once and writes the transition through; another process sees it after its sync', async () => {
    const { members, store, transitions } = fleet(2);
    const [a, b] = members as [CircuitBreakers, CircuitBreakers];
    for (let i = 0; i < 3; i++) a.release('p/m', a.acquire('p/m'), CallOutcome.Failure);
    expect(a.isOpen('p/m')).toBe(true);
    expect(a.acquire('p/m')).toMatchObject({ kind: 'deny', state: 'open', retryAfterMs: 5_000 });
    await a.sync();
    expect(store.records.get('p/m')?.state).toBe('open');
    expect(transitions).toEqual(['p/m:closed->open:failures']);
    expect(b.isOpen('p/m')).toBe(false);
    await b.sync();
    expect(b.isOpen('p/m')).toBe(true);
  });

  it('adds the outcomes of several processes in the store before deciding', async () => {
    const { members, store } = fleet(3);
    for (const m of members) {
      m.release('p/m', m.acquire('p/m'), CallOutcome.Failure);
      m.release('p/m', m.acquire('p/m'), CallOutcome.Failure);
    }
    // Each process saw only 2 failures: none opened locally.
    expect(members.some((m) => m.isOpen('p/m'))).toBe(false);
    for (const m of members) await m.sync();
    expect(store.records.get('p/m')).toMatchObject({ state: 'open' });
    expect(members[2]!.isOpen('p/m')).toBe(true);
  });

  it('limits half-open probes per process and closes after enough probe successes', async () => {
    const { members, advance } = fleet(1);
    const a = members[0]!;
    for (let i = 0; i < 3; i++) a.record('p/m', CallOutcome.Failure);
    await a.sync();
    advance(5_000);
    expect(a.state('p/m')).toBe('half_open');
    expect(a.isOpen('p/m')).toBe(false);
    const probe = a.acquire('p/m');
    expect(probe.kind).toBe('probe');
    expect(a.acquire('p/m').kind).toBe('deny');
    a.release('p/m', probe, CallOutcome.Success);
    a.release('p/m', a.acquire('p/m'), CallOutcome.Success);
    expect(a.state('p/m')).toBe('closed');
    await a.sync();
    expect(a.state('p/m')).toBe('closed');
  });

  it('ignores neutral outcomes and deployments whose breaker is off', async () => {
    const store = new MemoryCircuitStore();
    const off: CircuitConfig = { ...CONFIG, byDeployment: new Map([['off/m', { ...SETTINGS, enabled: false }]]) };
    const a = new CircuitBreakers({ store, config: off });
    for (let i = 0; i < 10; i++) {
      a.record('p/m', CallOutcome.Neutral);
      a.record('off/m', CallOutcome.Failure);
    }
    await a.sync();
    expect(store.records.size).toBe(0);
    expect(a.isOpen('off/m')).toBe(false);
  });

  it('keeps outcomes when the store fails and sends them with the next sync', async () => {
    const store = new MemoryCircuitStore();
    let failing = true;
    const flaky = {
      sync: (deltas: Parameters<MemoryCircuitStore['sync']>[0], now: number) => (failing ? Promise.reject(new Error('down')) : store.sync(deltas, now)),
    };
    const errors: unknown[] = [];
    const a = new CircuitBreakers({ store: flaky, config: CONFIG, onSyncError: (e) => errors.push(e) });
    a.record('p/m', CallOutcome.Failure);
    expect(await a.sync()).toBe(false);
    failing = false;
    a.record('p/m', CallOutcome.Failure);
    expect(await a.sync()).toBe(true);
    expect(store.records.get('p/m')?.failures).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('a sync asked for during one in flight resolves only once what was recorded meanwhile is stored', async () => {
    const store = new MemoryCircuitStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slow = {
      sync: async (deltas: Parameters<MemoryCircuitStore['sync']>[0], now: number) => {
        calls += 1;
        if (calls === 1) await gate;
        return store.sync(deltas, now);
      },
    };
    const a = new CircuitBreakers({ store: slow, config: CONFIG });
    const first = a.sync();
    a.record('p/m', CallOutcome.Failure);
    const second = a.sync();
    release();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(store.records.get('p/m')?.failures).toBe(1);
  });
});
