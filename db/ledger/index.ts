/**
 * The money ledger: budgets, reservations, settlement and usage records in Postgres.
 * Typical flow: reserve (estimate) → call upstream → settle (actual cost + usage record), or
 * release when nothing was spent; releaseExpired sweeps what crashed processes left behind.
 */
export * from './types';
export { LedgerError, LedgerErrorCode } from './errors';
export { periodWindow, type PeriodWindow } from './periods';
export { reserve, type ReserveInput } from './reserve';
export { settle, type SettleInput, type SettleResult, type UsageFields } from './settle';
export { unheldSettlementCounts } from './unheld-settlements';
export { release, releaseExpired, type ReleaseResult } from './release';
export { createBudget, updateBudget, deleteBudget, getBudget, listBudgets, budgetStatus, hasApplicableBudget, type BudgetStatus } from './budgets';
export { reconcileBudgets, type BudgetReconciliation } from './reconcile';
