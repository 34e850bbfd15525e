/**
 * Shapes shared by the ledger's functions. Results carry timestamps as ISO strings and money
 * as exact decimal strings so they pass through Temporal's JSON payloads unchanged.
 */

export const BudgetScope = {
  Key: 'key',
  Team: 'team',
  Tenant: 'tenant',
} as const;
export type BudgetScope = (typeof BudgetScope)[keyof typeof BudgetScope];

/** Windows are UTC calendar days and months; `total` never resets. */
export const BudgetPeriod = {
  Day: 'day',
  Month: 'month',
  Total: 'total',
} as const;
export type BudgetPeriod = (typeof BudgetPeriod)[keyof typeof BudgetPeriod];

export const ReservationState = {
  Reserved: 'reserved',
  Settled: 'settled',
  Released: 'released',
  Refused: 'refused',
} as const;
export type ReservationState = (typeof ReservationState)[keyof typeof ReservationState];

/** Why a reservation was refused: enough for a 429 `budget_exceeded` that names the level. */
export interface BudgetRefusal {
  readonly level: BudgetScope;
  readonly budgetId: string;
  readonly period: BudgetPeriod;
  readonly limitUsd: string;
  readonly spentUsd: string;
  readonly reservedUsd: string;
  /** The amount the refused request asked to reserve. */
  readonly requestedUsd: string;
  /** When the period's counters start again from zero (ISO 8601); `null` for `total`. */
  readonly resetsAt: string | null;
}

/** One budget a reservation counts against, in the window it was made in. */
export interface ReservedBudget {
  readonly budgetId: string;
  readonly level: BudgetScope;
  readonly period: BudgetPeriod;
  /** ISO 8601 start of the window. */
  readonly periodStart: string;
  readonly resetsAt: string | null;
}

export interface ReserveAccepted {
  readonly ok: true;
  readonly reservationId: string;
  readonly amountUsd: string;
  readonly expiresAt: string;
  /** Empty when no budget applies: the reservation still exists, so settlement records usage. */
  readonly budgets: readonly ReservedBudget[];
  /** True when an earlier reserve with the same id had already decided this outcome. */
  readonly replayed: boolean;
}

export interface ReserveRefused {
  readonly ok: false;
  readonly reservationId: string;
  readonly refusal: BudgetRefusal;
  readonly replayed: boolean;
  /**
   * True only with `uncommittedWhileHeld`: holds of requests in flight caused the refusal, nothing
   * was recorded, and the same id may be reserved again once they settle or are released.
   */
  readonly waitable: boolean;
}

export type ReserveResult = ReserveAccepted | ReserveRefused;

/** A budget's configuration. */
export interface Budget {
  readonly id: string;
  readonly tenantId: string;
  readonly scope: BudgetScope;
  readonly scopeId: string;
  readonly period: BudgetPeriod;
  readonly limitUsd: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}
