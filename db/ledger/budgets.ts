import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Queryable } from '../queryable';
import { normalizeUsd, unitsToUsd, usdToUnits } from '../../prices/usd';
import { LedgerError, LedgerErrorCode } from './errors';
import { periodWindow } from './periods';
import type { Budget, BudgetPeriod, BudgetScope } from './types';

interface BudgetRow {
  id: string;
  tenant_id: string;
  scope: BudgetScope;
  scope_id: string;
  period: BudgetPeriod;
  limit_usd: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, tenant_id, scope, scope_id, period, limit_usd, created_at, updated_at';

function toBudget(r: BudgetRow): Budget {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    scope: r.scope,
    scopeId: r.scope_id,
    period: r.period,
    limitUsd: normalizeUsd(r.limit_usd),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

// The tenant owning each kind of scope.
const OWNER_QUERY: Record<BudgetScope, string> = {
  tenant: 'SELECT id AS tenant_id FROM tenants WHERE id = $1',
  team: 'SELECT tenant_id FROM teams WHERE id = $1',
  key: 'SELECT tenant_id, COALESCE(budget_key_id, id) AS scope_id FROM api_keys WHERE id = $1',
};

/**
 * Creates a budget for a key, team or tenant. A scope may hold one budget per period (e.g. a
 * daily and a monthly one); every budget that applies is checked on each reservation.
 *
 * @throws LedgerError `scope_not_found` when the key/team/tenant does not exist,
 *   `budget_exists` when the scope already has a budget for that period.
 */
export async function createBudget(
  pool: Queryable,
  input: { readonly scope: BudgetScope; readonly scopeId: string; readonly period: BudgetPeriod; readonly limitUsd: number | string },
): Promise<Budget> {
  const limit = normalizeUsd(input.limitUsd);
  // A rotated key's budget belongs to its lineage (the first key), which every successor charges.
  const owner = await pool.query<{ tenant_id: string; scope_id?: string }>(OWNER_QUERY[input.scope], [input.scopeId]);
  if (!owner.rows[0]) throw new LedgerError(LedgerErrorCode.ScopeNotFound, `no ${input.scope} ${input.scopeId}`);
  const { rows } = await pool.query<BudgetRow>(
    `INSERT INTO budgets (id, tenant_id, scope, scope_id, period, limit_usd) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (scope, scope_id, period) DO NOTHING RETURNING ${COLUMNS}`,
    [`bud_${randomBytes(8).toString('hex')}`, owner.rows[0].tenant_id, input.scope, owner.rows[0].scope_id ?? input.scopeId, input.period, limit],
  );
  if (!rows[0]) {
    throw new LedgerError(LedgerErrorCode.BudgetExists, `${input.scope} ${input.scopeId} already has a ${input.period} budget`);
  }
  return toBudget(rows[0]);
}

/**
 * Changes a budget's limit; takes effect on the next reservation (a lower limit does not
 * cancel what is already reserved). Returns `null` when no budget has that id.
 */
export async function updateBudget(pool: Queryable, id: string, input: { readonly limitUsd: number | string }): Promise<Budget | null> {
  const { rows } = await pool.query<BudgetRow>(`UPDATE budgets SET limit_usd = $2, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [
    id,
    normalizeUsd(input.limitUsd),
  ]);
  return rows[0] ? toBudget(rows[0]) : null;
}

/**
 * Deletes a budget with its period counters. Open reservations simply stop counting against
 * it; usage records are kept. Returns false when no budget has that id.
 */
export async function deleteBudget(pool: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM budgets WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

export async function getBudget(pool: Queryable, id: string): Promise<Budget | null> {
  const { rows } = await pool.query<BudgetRow>(`SELECT ${COLUMNS} FROM budgets WHERE id = $1`, [id]);
  return rows[0] ? toBudget(rows[0]) : null;
}

/**
 * Whether any budget (any period) applies to a caller: one of the key, its team or its tenant.
 * Used to decide if an unpriced model may be served at zero cost (no budget) or must be refused.
 */
export async function hasApplicableBudget(
  pool: Pool,
  caller: { readonly tenantId: string; readonly teamId?: string | null; readonly keyId: string },
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM budgets
     WHERE (scope = 'key' AND scope_id = (SELECT COALESCE(budget_key_id, id) FROM api_keys WHERE id = $1)) OR (scope = 'team' AND scope_id = $2) OR (scope = 'tenant' AND scope_id = $3) LIMIT 1`,
    [caller.keyId, caller.teamId ?? null, caller.tenantId],
  );
  return (rowCount ?? 0) > 0;
}

/** A tenant's budgets (all levels), ordered by scope then id. */
export async function listBudgets(pool: Pool, tenantId: string): Promise<Budget[]> {
  const { rows } = await pool.query<BudgetRow>(`SELECT ${COLUMNS} FROM budgets WHERE tenant_id = $1 ORDER BY scope, id`, [tenantId]);
  return rows.map(toBudget);
}

/** A budget's counters in the window containing `now`. */
export interface BudgetStatus {
  readonly budget: Budget;
  readonly periodStart: string;
  readonly resetsAt: string | null;
  readonly reservedUsd: string;
  readonly spentUsd: string;
  /** limit − reserved − spent, floored at zero. */
  readonly remainingUsd: string;
}

/** The current window's counters (zero when nothing was reserved in it yet); `null` for an unknown id. */
export async function budgetStatus(pool: Pool, id: string, now: Date = new Date()): Promise<BudgetStatus | null> {
  const budget = await getBudget(pool, id);
  if (!budget) return null;
  const window = periodWindow(budget.period, now);
  const { rows } = await pool.query<{ reserved: string; spent: string }>(
    'SELECT reserved, spent FROM budget_periods WHERE budget_id = $1 AND period_start = $2',
    [id, window.start],
  );
  const reserved = usdToUnits(rows[0]?.reserved ?? '0');
  const spent = usdToUnits(rows[0]?.spent ?? '0');
  const remaining = usdToUnits(budget.limitUsd) - reserved - spent;
  return {
    budget,
    periodStart: window.start.toISOString(),
    resetsAt: window.end?.toISOString() ?? null,
    reservedUsd: unitsToUsd(reserved),
    spentUsd: unitsToUsd(spent),
    remainingUsd: unitsToUsd(remaining > 0n ? remaining : 0n),
  };
}
