import { Gauge, type Registry } from 'prom-client';
import type { Pool } from 'pg';

/** How long one read of the budgets serves scrapes (ms): several scrapers cost one query. */
const CACHE_MS = 10_000;

interface UtilizationRow {
  tenant_id: string;
  scope: string;
  period: string;
  utilization: string;
}

/**
 * `switchyard_budget_utilization_ratio{tenant, scope, period}`: the highest (spent + reserved) /
 * limit among the tenant's budgets of that scope and period, in the current window. One series
 * per tenant × scope (key, team, tenant) × period (day, month, total) that has a budget, so
 * at most 9 per tenant however many keys carry budgets; the alert on it says "some budget of
 * this tenant is near its limit", and the admin API names which. Read from Postgres at scrape
 * time (at most every 10 s), so every instance reports the same value: aggregate with `max`.
 */
export function registerBudgetUtilization(registry: Registry, pool: Pool): Gauge<'tenant' | 'scope' | 'period'> {
  let cached: { at: number; rows: UtilizationRow[] } | undefined;
  return new Gauge({
    name: 'switchyard_budget_utilization_ratio',
    help: 'Highest (spent + reserved) / limit among the tenant budgets of a scope and period, current window (1 = at the limit).',
    labelNames: ['tenant', 'scope', 'period'] as const,
    registers: [registry],
    async collect() {
      if (!cached || Date.now() - cached.at > CACHE_MS) {
        try {
          cached = { at: Date.now(), rows: await readUtilization(pool) };
        } catch {
          // A scrape never fails on the database: the last values stay until it answers again.
          return;
        }
      }
      this.reset();
      for (const r of cached.rows) this.set({ tenant: r.tenant_id, scope: r.scope, period: r.period }, Number(r.utilization));
    },
  });
}

async function readUtilization(pool: Pool): Promise<UtilizationRow[]> {
  // The current window per period: UTC day, UTC month, or the single epoch row of `total`.
  const { rows } = await pool.query<UtilizationRow>(
    `SELECT b.tenant_id, b.scope, b.period,
            max(CASE WHEN b.limit_usd = 0 THEN 1 ELSE (coalesce(p.spent, 0) + coalesce(p.reserved, 0)) / b.limit_usd END)::text AS utilization
     FROM budgets b
     LEFT JOIN budget_periods p ON p.budget_id = b.id AND p.period_start = CASE b.period
         WHEN 'day' THEN date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
         WHEN 'month' THEN date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
         ELSE 'epoch'::timestamptz END
     GROUP BY b.tenant_id, b.scope, b.period`,
  );
  return rows;
}
