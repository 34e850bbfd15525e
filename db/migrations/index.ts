import * as accounts from './001-accounts';
import * as budgets from './002-budgets';
import * as accountsAdmin from './003-accounts-admin';
import * as rateLimits from './004-rate-limits';
import * as budgetAlerts from './005-budget-alerts';
import * as batches from './006-batches';
import * as rotationCredentials from './007-rotation-credentials';
import * as circuitBreakers from './008-circuit-breakers';
import * as requestLogging from './009-request-logging';
import * as staleUploads from './010-stale-uploads';

/** Migrations in order. Append only: an applied migration is never edited. */
export const MIGRATIONS: ReadonlyArray<{ readonly id: string; readonly sql: string }> = [
  { id: '001-accounts', sql: accounts.sql },
  { id: '002-budgets', sql: budgets.sql },
  { id: '003-accounts-admin', sql: accountsAdmin.sql },
  { id: '004-rate-limits', sql: rateLimits.sql },
  { id: '005-budget-alerts', sql: budgetAlerts.sql },
  { id: '006-batches', sql: batches.sql },
  { id: '007-rotation-credentials', sql: rotationCredentials.sql },
  { id: '008-circuit-breakers', sql: circuitBreakers.sql },
  { id: '009-request-logging', sql: requestLogging.sql },
  { id: '010-stale-uploads', sql: staleUploads.sql },
];
