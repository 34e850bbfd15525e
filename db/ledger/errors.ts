/** Ledger failures that callers branch on (by `code`, not by class). */
export const LedgerErrorCode = {
  /** settle() for an id no reserve() ever committed. */
  ReservationNotFound: 'reservation_not_found',
  /** settle() for a reservation that was refused: nothing may have been called upstream. */
  ReservationRefused: 'reservation_refused',
  /** A budget for a key/team/tenant that does not exist. */
  ScopeNotFound: 'scope_not_found',
  /** A second budget with the same scope, scope id and period. */
  BudgetExists: 'budget_exists',
} as const;
export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}
