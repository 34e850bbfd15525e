import type { Pool } from 'pg';
import { normalizeUsd } from '../../prices/usd';
import type { BudgetScope } from './types';

/** One budget's counters summed over all its windows, beside the usage recorded for its scope. */
export interface BudgetReconciliation {
  readonly budgetId: string;
  readonly scope: BudgetScope;
  readonly scopeId: string;
  /** Sum of `spent` over every period window of the budget. */
  readonly spentUsd: string;
  /** Sum of `reserved` over every window: what open reservations still hold. */
  readonly reservedUsd: string;
  /** Sum of `cost_usd` of the usage records whose key (or a key rotated from it) / team / tenant is the budget's scope. */
  readonly usageCostUsd: string;
  readonly usageRecords: number;
}

/**
 * For reports and the ledger's invariant tests: per budget of a tenant, spent (from the
 * counters) next to the cost of the usage records of the same scope (from the records).
 * The two agree exactly whenever the budget existed for all of its scope's usage: every
 * settlement adds the same amount to both in one transaction.
 */
export async function reconcileBudgets(pool: Pool, tenantId: string): Promise<BudgetReconciliation[]> {
  const { rows } = await pool.query<{
    id: string;
    scope: BudgetScope;
    scope_id: string;
    spent: string;
    reserved: string;
    usage_cost: string;
    usage_records: string;
  }>(
    `SELECT b.id, b.scope, b.scope_id,
       (SELECT coalesce(sum(spent), 0) FROM budget_periods WHERE budget_id = b.id) AS spent,
       (SELECT coalesce(sum(reserved), 0) FROM budget_periods WHERE budget_id = b.id) AS reserved,
       u.usage_cost, u.usage_records
     FROM budgets b
     CROSS JOIN LATERAL (
       SELECT coalesce(sum(cost_usd), 0) AS usage_cost, count(*) AS usage_records FROM usage_records ur
       WHERE CASE b.scope WHEN 'key' THEN ur.key_id IN (SELECT id FROM api_keys WHERE COALESCE(budget_key_id, id) = b.scope_id)
                          WHEN 'team' THEN ur.team_id = b.scope_id
                          ELSE ur.tenant_id = b.scope_id END
     ) u
     WHERE b.tenant_id = $1 ORDER BY b.scope, b.id`,
    [tenantId],
  );
  return rows.map((r) => ({
    budgetId: r.id,
    scope: r.scope,
    scopeId: r.scope_id,
    spentUsd: normalizeUsd(r.spent),
    reservedUsd: normalizeUsd(r.reserved),
    usageCostUsd: normalizeUsd(r.usage_cost),
    usageRecords: Number(r.usage_records),
  }));
}
