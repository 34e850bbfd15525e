/**
 * The counting rule, pure and clock-free (every function takes `now` in epoch ms): a sliding
 * window approximated from two fixed one-minute windows. The estimate of what was used in the
 * last minute is `previous × (1 − f) + current`, where `f` is the fraction of the current
 * window already elapsed. Unlike a bare fixed window, it never lets twice the limit through
 * around a window boundary; its error is bounded by assuming the previous window's requests
 * were spread evenly.
 */

/** The window length: limits are per minute. */
export const WINDOW_MS = 60_000;

/** The two measures a limit can apply to. */
export const Measure = { Requests: 'requests', Tokens: 'tokens' } as const;
export type Measure = (typeof Measure)[keyof typeof Measure];

/** A count of both measures. */
export interface Tally {
  requests: number;
  tokens: number;
}

export function zeroTally(): Tally {
  return { requests: 0, tokens: 0 };
}

/**
 * What one instance knows about one scope's counters. `known*` are the global totals read at
 * the last sync (they include this instance's synced counts); `pending` was admitted here and
 * not sent yet; `inFlight` was sent by the sync now running. `stale` holds counts admitted in
 * the window before `windowStart` that still have to be sent to that window's row.
 */
export interface ScopeWindow {
  windowStart: number;
  known: Tally;
  knownPrevious: Tally;
  pending: Tally;
  inFlight: Tally;
  /** The window `inFlight` belongs to. */
  inFlightWindow: number;
  stale: { windowStart: number; tally: Tally } | null;
}

/** The start of the fixed window containing `now`. */
export function windowStartOf(now: number): number {
  return Math.floor(now / WINDOW_MS) * WINDOW_MS;
}

export function newScopeWindow(now: number): ScopeWindow {
  const start = windowStartOf(now);
  return {
    windowStart: start,
    known: zeroTally(),
    knownPrevious: zeroTally(),
    pending: zeroTally(),
    inFlight: zeroTally(),
    inFlightWindow: start,
    stale: null,
  };
}

/**
 * Moves `w` to the window containing `now`. The old window's total as known here (global at
 * the last sync plus local unsent counts) becomes the previous window; unsent counts are kept
 * in `stale` so the next sync still adds them to the old window's row.
 */
export function roll(w: ScopeWindow, now: number): void {
  const start = windowStartOf(now);
  if (start <= w.windowStart) return;
  const adjacent = start - w.windowStart === WINDOW_MS;
  const inFlightHere = w.inFlightWindow === w.windowStart ? w.inFlight : zeroTally();
  const total = add(add(w.known, w.pending), inFlightHere);
  if (w.pending.requests > 0 || w.pending.tokens > 0) {
    const merged = w.stale?.windowStart === w.windowStart ? add(w.stale.tally, w.pending) : w.pending;
    w.stale = { windowStart: w.windowStart, tally: merged };
  }
  w.knownPrevious = adjacent ? total : zeroTally();
  w.known = zeroTally();
  w.pending = zeroTally();
  w.windowStart = start;
}

/** Counts here that other instances cannot see yet (current window). */
export function unsynced(w: ScopeWindow, m: Measure): number {
  return w.pending[m] + (w.inFlightWindow === w.windowStart ? w.inFlight[m] : 0);
}

/** The current window's total as this instance knows it. */
function currentTotal(w: ScopeWindow, m: Measure): number {
  return w.known[m] + unsynced(w, m);
}

function elapsedFraction(w: ScopeWindow, now: number): number {
  return Math.min(1, Math.max(0, (now - w.windowStart) / WINDOW_MS));
}

/** The sliding-window estimate of the last minute's use. Call {@link roll} first. */
export function used(w: ScopeWindow, m: Measure, now: number): number {
  return w.knownPrevious[m] * (1 - elapsedFraction(w, now)) + currentTotal(w, m);
}

/**
 * Milliseconds until `cost` more fits under `limit` if nothing else is admitted meanwhile;
 * 0 when it fits now, `Infinity` when `cost` alone exceeds the limit.
 */
export function msUntilFits(w: ScopeWindow, m: Measure, limit: number, cost: number, now: number): number {
  const room = limit - cost;
  if (room < 0) return Infinity;
  if (used(w, m, now) <= room) return 0;
  const current = currentTotal(w, m);
  const previous = w.knownPrevious[m];
  let at: number;
  if (current <= room && previous > 0) {
    // The previous window's share decays linearly until the end of this window.
    at = w.windowStart + (1 - (room - current) / previous) * WINDOW_MS;
  } else {
    // Only in the next window, as this window's total decays in turn.
    at = w.windowStart + WINDOW_MS + (1 - room / current) * WINDOW_MS;
  }
  return Math.max(1, Math.ceil(at - now));
}

/** Milliseconds until the estimate is back at zero (the whole limit available), with no new traffic. */
export function msUntilReset(w: ScopeWindow, m: Measure, now: number): number {
  if (currentTotal(w, m) > 0) return w.windowStart + 2 * WINDOW_MS - now;
  if (w.knownPrevious[m] > 0) return w.windowStart + WINDOW_MS - now;
  return 0;
}

/**
 * How much this instance may admit before it must sync: a fraction of the room left as of
 * the last sync, at least 1. Near the limit that is 1, so every admission there first reads
 * the global total; far from it, syncs stay periodic.
 */
export function localShare(w: ScopeWindow, m: Measure, limit: number, fraction: number, now: number): number {
  const knownUsed = w.knownPrevious[m] * (1 - elapsedFraction(w, now)) + w.known[m];
  return Math.max(1, Math.floor((limit - knownUsed) * fraction));
}

/** What one measure of one scope says about a request. */
export type Verdict =
  | { readonly kind: 'admit' }
  /** Fits by local knowledge, but this instance has used its local share: sync first. */
  | { readonly kind: 'sync' }
  | { readonly kind: 'refuse'; readonly retryAfterMs: number };

/**
 * Decides one measure for a request costing `cost` under `limit`. Call {@link roll} first.
 * `fresh`: the caller synced after the request arrived, so a request larger than the share
 * alone may go without syncing again.
 */
export function judge(w: ScopeWindow, m: Measure, opts: { limit: number; cost: number; shareFraction: number; now: number; fresh?: boolean }): Verdict {
  const wait = msUntilFits(w, m, opts.limit, opts.cost, opts.now);
  if (wait > 0) return { kind: 'refuse', retryAfterMs: wait };
  const local = unsynced(w, m);
  if (local + opts.cost > localShare(w, m, opts.limit, opts.shareFraction, opts.now) && !(local === 0 && opts.fresh)) return { kind: 'sync' };
  return { kind: 'admit' };
}

/** Global totals read back by a sync, for one scope and window. */
export interface SyncedTotals {
  readonly windowStart: number;
  readonly current: Tally;
  /** The window before `windowStart`, as stored (0 when no row). */
  readonly previous: Tally;
}

/**
 * Applies a sync's answer. Totals for the current window replace what was known; totals for the
 * previous window (a sync that started before a roll) can only raise the previous estimate.
 */
export function applySynced(w: ScopeWindow, totals: SyncedTotals): void {
  if (totals.windowStart === w.windowStart) {
    w.known = { ...totals.current };
    w.knownPrevious = max(w.knownPrevious, totals.previous);
  } else if (totals.windowStart === w.windowStart - WINDOW_MS) {
    w.knownPrevious = max(w.knownPrevious, totals.current);
  }
}

export function add(a: Tally, b: Tally): Tally {
  return { requests: a.requests + b.requests, tokens: a.tokens + b.tokens };
}

function max(a: Tally, b: Tally): Tally {
  return { requests: Math.max(a.requests, b.requests), tokens: Math.max(a.tokens, b.tokens) };
}
