import * as accounts from './001-accounts';

/** Migrations in order. Append only: an applied migration is never edited. */
export const MIGRATIONS: ReadonlyArray<{ readonly id: string; readonly sql: string }> = [
  { id: '001-accounts', sql: accounts.sql },
];
