import {
  Measure,
  WINDOW_MS,
  applySynced,
  judge,
  msUntilFits,
  msUntilReset,
  newScopeWindow,
  roll,
  used,
  type ScopeWindow,
} from '../../../ratelimit/sliding-window';

// A window boundary, so offsets read as "seconds into the window".
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW_MS);
const at = (seconds: number) => T0 + seconds * 1000;

function windowWith(opts: { previous?: number; current?: number; pending?: number; now?: number }): ScopeWindow {
  const w = newScopeWindow(opts.now ?? T0);
  w.knownPrevious.requests = opts.previous ?? 0;
  w.known.requests = opts.current ?? 0;
  w.pending.requests = opts.pending ?? 0;
  return w;
}

describe('sliding window estimate', () => {
  it('weighs the previous window by the part of it still inside the last minute', () => {
    const w = windowWith({ previous: 20, current: 5 });
    expect(used(w, Measure.Requests, at(0))).toBe(25);
    expect(used(w, Measure.Requests, at(15))).toBe(20);
    expect(used(w, Measure.Requests, at(30))).toBe(15);
    expect(used(w, Measure.Requests, at(59.999))).toBeCloseTo(5, 2);
  });

  it('rolls: the old total (known + unsent) becomes the previous window, unsent counts stay owed', () => {
    const w = windowWith({ current: 7, pending: 3 });
    roll(w, at(61));
    expect(w.windowStart).toBe(T0 + WINDOW_MS);
    expect(w.knownPrevious.requests).toBe(10);
    expect(w.known.requests).toBe(0);
    expect(w.stale).toEqual({ windowStart: T0, tally: { requests: 3, tokens: 0 } });
    expect(used(w, Measure.Requests, at(90))).toBe(5);
  });

  it('forgets everything after a whole idle window', () => {
    const w = windowWith({ current: 7 });
    roll(w, at(125));
    expect(w.knownPrevious.requests).toBe(0);
    expect(used(w, Measure.Requests, at(125))).toBe(0);
  });

  it('does not let twice the limit through around a boundary (unlike a fixed window)', () => {
    const w = windowWith({ current: 20, now: at(59) });
    roll(w, at(60.5));
    // 20 in the last second of the previous window: the new window admits almost nothing yet.
    expect(judge(w, Measure.Requests, { limit: 20, cost: 1, shareFraction: 0.1, now: at(60.5) }).kind).toBe('refuse');
  });
});

describe('waiting times', () => {
  it('Retry-After: when the previous window has decayed enough', () => {
    const w = windowWith({ previous: 20, current: 0 });
    // 20 × (1 − f) ≤ 19 ⇒ f ≥ 0.05 ⇒ 3 s into the window.
    expect(msUntilFits(w, Measure.Requests, 20, 1, at(0))).toBe(3000);
    expect(msUntilFits(w, Measure.Requests, 20, 1, at(3))).toBe(0);
  });

  it('Retry-After: in the next window when this window alone is full', () => {
    const w = windowWith({ current: 20 });
    // Next window: 20 × (1 − g) ≤ 19 ⇒ g ≥ 0.05: 60 s + 3 s from the window start.
    expect(msUntilFits(w, Measure.Requests, 20, 1, at(10))).toBe(53_000);
  });

  it('a cost above the limit never fits', () => {
    expect(msUntilFits(windowWith({}), Measure.Tokens, 100, 101, at(0))).toBe(Infinity);
  });

  it('reset: when the estimate is back at zero', () => {
    expect(msUntilReset(windowWith({}), Measure.Requests, at(10))).toBe(0);
    expect(msUntilReset(windowWith({ previous: 3 }), Measure.Requests, at(10))).toBe(50_000);
    expect(msUntilReset(windowWith({ current: 1 }), Measure.Requests, at(10))).toBe(110_000);
  });
});

describe('judge', () => {
  const opts = { limit: 100, cost: 1, shareFraction: 0.1, now: at(0) };

  it('admits within the local share without a sync', () => {
    expect(judge(windowWith({ pending: 9 }), Measure.Requests, opts)).toEqual({ kind: 'admit' });
  });

  it('asks for a sync once the local share (10% of the room left) is used', () => {
    expect(judge(windowWith({ pending: 10 }), Measure.Requests, opts)).toEqual({ kind: 'sync' });
  });

  it('near the limit the share is one request: every admission after the first syncs first', () => {
    const w = windowWith({ current: 95 });
    expect(judge(w, Measure.Requests, opts).kind).toBe('admit');
    w.pending.requests = 1;
    expect(judge(w, Measure.Requests, opts).kind).toBe('sync');
  });

  it('refuses on local knowledge alone (counts only grow within a window)', () => {
    expect(judge(windowWith({ current: 100 }), Measure.Requests, opts)).toEqual({ kind: 'refuse', retryAfterMs: 60_600 });
  });
});

describe('applySynced', () => {
  it('replaces the current totals and only raises the previous ones', () => {
    const w = windowWith({ previous: 8, current: 1 });
    applySynced(w, { windowStart: T0, current: { requests: 12, tokens: 40 }, previous: { requests: 5, tokens: 9 } });
    expect(w.known).toEqual({ requests: 12, tokens: 40 });
    expect(w.knownPrevious).toEqual({ requests: 8, tokens: 9 });
  });

  it('a late answer for the previous window raises its total', () => {
    const w = windowWith({ current: 4 });
    roll(w, at(61));
    applySynced(w, { windowStart: T0, current: { requests: 30, tokens: 0 }, previous: { requests: 0, tokens: 0 } });
    expect(w.knownPrevious.requests).toBe(30);
    expect(w.known.requests).toBe(0);
  });
});

describe('judge, costs larger than the share', () => {
  it('a request larger than the local share syncs first, then goes on fresh knowledge', () => {
    const w = windowWith({});
    const opts = { limit: 1000, cost: 400, shareFraction: 0.1, now: at(0) };
    expect(judge(w, Measure.Tokens, opts).kind).toBe('sync');
    expect(judge(w, Measure.Tokens, { ...opts, fresh: true }).kind).toBe('admit');
    w.pending.tokens = 1;
    expect(judge(w, Measure.Tokens, { ...opts, fresh: true }).kind).toBe('sync');
  });
});
