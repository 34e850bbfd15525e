import { BudgetPeriod } from './types';

/** A budget period window: `[start, end)`; `end` is `null` for `total`. */
export interface PeriodWindow {
  readonly start: Date;
  readonly end: Date | null;
}

// The single window of a `total` budget.
const EPOCH = new Date(0);

/**
 * The window containing `now`. Windows are UTC calendar days and months: one rule for every
 * tenant and instance, with no time-zone table to keep in sync (per-tenant zones can come later
 * by storing the zone on the budget).
 */
export function periodWindow(period: BudgetPeriod, now: Date): PeriodWindow {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  switch (period) {
    case BudgetPeriod.Day: {
      const d = now.getUTCDate();
      return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
    }
    case BudgetPeriod.Month:
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
    case BudgetPeriod.Total:
      return { start: EPOCH, end: null };
  }
}
