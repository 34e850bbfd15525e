import * as accounts from './001-accounts';
import * as budgets from './002-budgets';

/** Migrations in order. Append only: an applied migration is never edited. */
export const MIGRATIONS: ReadonlyArray<{ readonly id: string; readonly sql: string }> = [
  { id: '001-accounts', sql: accounts.sql },
  { id: '002-budgets', sql: budgets.sql },
];
