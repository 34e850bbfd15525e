import type { Pool } from 'pg';
import { ALERT_THRESHOLDS, type AlertDeliveryState, type AlertThreshold, type BudgetAlertKey } from '../budget/alert-types';
import { normalizeUsd } from '../prices/usd';

/** One fired alert with its delivery state, as stored in `budget_alerts`. */
export interface BudgetAlert extends BudgetAlertKey {
  readonly tenantId: string;
  readonly scope: string;
  readonly scopeId: string;
  readonly period: string;
  readonly limitUsd: string;
  /** Spent in the window when the alert fired (after the settlement that crossed it). */
  readonly spentUsd: string;
  readonly firedAt: string;
  readonly deliveryState: AlertDeliveryState;
  readonly deliveryAttempts: number;
  readonly webhookUrl: string | null;
  readonly lastError: string | null;
  readonly deliveredAt: string | null;
}

interface AlertRow {
  budget_id: string;
  period_start: Date;
  threshold: number;
  tenant_id: string;
  scope: string;
  scope_id: string;
  period: string;
  limit_usd: string;
  spent_usd: string;
  fired_at: Date;
  delivery_state: AlertDeliveryState;
  delivery_attempts: number;
  webhook_url: string | null;
  last_error: string | null;
  delivered_at: Date | null;
}

const ALERT_COLUMNS = `budget_id, period_start, threshold, tenant_id, scope, scope_id, period, limit_usd, spent_usd, fired_at,
  delivery_state, delivery_attempts, webhook_url, last_error, delivered_at`;

function toAlert(r: AlertRow): BudgetAlert {
  return {
    budgetId: r.budget_id,
    periodStart: r.period_start.toISOString(),
    threshold: r.threshold as AlertThreshold,
    tenantId: r.tenant_id,
    scope: r.scope,
    scopeId: r.scope_id,
    period: r.period,
    limitUsd: normalizeUsd(r.limit_usd),
    spentUsd: normalizeUsd(r.spent_usd),
    firedAt: r.fired_at.toISOString(),
    deliveryState: r.delivery_state,
    deliveryAttempts: r.delivery_attempts,
    webhookUrl: r.webhook_url,
    lastError: r.last_error,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
  };
}

/**
 * Records every threshold reached by the budget windows a settled reservation counted against,
 * and returns only the alerts this call created. The rule is "spent ≥ threshold and not fired
 * yet in this window", not "crossed by this settlement": a settlement whose alert insert was
 * lost (a crash right after the ledger transaction) is caught up by the next settlement in the
 * same window. A limit of 0 never alerts (every reservation is refused anyway).
 */
export async function recordCrossedThresholds(pool: Pool, reservationId: string): Promise<BudgetAlertKey[]> {
  // One statement: the alert rows and their audit-log entries commit together.
  const { rows } = await pool.query<{ budget_id: string; period_start: Date; threshold: number }>(
    `WITH fired AS (
       INSERT INTO budget_alerts (budget_id, period_start, threshold, tenant_id, scope, scope_id, period, limit_usd, spent_usd)
       SELECT b.id, bp.period_start, t.threshold, b.tenant_id, b.scope, b.scope_id, b.period, b.limit_usd, bp.spent
       FROM reservation_items ri
       JOIN budgets b ON b.id = ri.budget_id
       JOIN budget_periods bp ON bp.budget_id = ri.budget_id AND bp.period_start = ri.period_start
       CROSS JOIN unnest($2::smallint[]) AS t(threshold)
       WHERE ri.reservation_id = $1 AND b.limit_usd > 0 AND bp.spent * 100 >= b.limit_usd * t.threshold
       ON CONFLICT DO NOTHING
       RETURNING budget_id, period_start, threshold, tenant_id, scope, scope_id, period, limit_usd, spent_usd
     ), audited AS (
       INSERT INTO audit_log (actor, action, entity_type, entity_id, tenant_id, before, after)
       SELECT 'system:budget-alerts', 'fire', 'budget_alert', budget_id || '/' || to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '/' || threshold,
              tenant_id, NULL,
              jsonb_build_object('budget_id', budget_id, 'threshold', threshold, 'scope', scope, 'scope_id', scope_id, 'period', period,
                                 'limit_usd', limit_usd::text, 'spent_usd', spent_usd::text)
       FROM fired
     )
     SELECT budget_id, period_start, threshold FROM fired`,
    [reservationId, ALERT_THRESHOLDS],
  );
  return rows.map((r) => ({ budgetId: r.budget_id, periodStart: r.period_start.toISOString(), threshold: r.threshold as AlertThreshold }));
}

/** The alert and its tenant's current webhook URL; `undefined` for an unknown alert. */
export async function getAlertForDelivery(pool: Pool, key: BudgetAlertKey): Promise<{ alert: BudgetAlert; webhookUrl: string | null } | undefined> {
  const { rows } = await pool.query<AlertRow & { tenant_webhook_url: string | null }>(
    `SELECT a.budget_id, a.period_start, a.threshold, a.tenant_id, a.scope, a.scope_id, a.period, a.limit_usd, a.spent_usd, a.fired_at,
       a.delivery_state, a.delivery_attempts, a.webhook_url, a.last_error, a.delivered_at, t.alert_webhook_url AS tenant_webhook_url
     FROM budget_alerts a LEFT JOIN tenants t ON t.id = a.tenant_id
     WHERE a.budget_id = $1 AND a.period_start = $2 AND a.threshold = $3`,
    [key.budgetId, key.periodStart, key.threshold],
  );
  const row = rows[0];
  return row ? { alert: toAlert(row), webhookUrl: row.tenant_webhook_url } : undefined;
}

/** Stores how delivery went. `attempts` counts the webhook calls made so far. */
export async function recordAlertDelivery(
  pool: Pool,
  key: BudgetAlertKey,
  outcome: { state: AlertDeliveryState; attempts: number; webhookUrl?: string | null; error?: string | null; now?: Date },
): Promise<void> {
  await pool.query(
    `UPDATE budget_alerts
     SET delivery_state = $4, delivery_attempts = GREATEST(delivery_attempts, $5), webhook_url = COALESCE($6, webhook_url),
       last_error = $7, delivered_at = CASE WHEN $4 = 'delivered' THEN $8::timestamptz ELSE delivered_at END
     WHERE budget_id = $1 AND period_start = $2 AND threshold = $3`,
    [
      key.budgetId,
      key.periodStart,
      key.threshold,
      outcome.state,
      outcome.attempts,
      outcome.webhookUrl ?? null,
      outcome.error ?? null,
      outcome.now ?? new Date(),
    ],
  );
}

/**
 * Alerts still pending `olderThanMs` after firing: their delivery workflow never started (the
 * start failed, or the process died first). Oldest first, at most `limit`.
 */
export async function listStalePendingAlerts(pool: Pool, opts: { olderThanMs: number; limit: number; now?: Date }): Promise<BudgetAlertKey[]> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.olderThanMs);
  const { rows } = await pool.query<{ budget_id: string; period_start: Date; threshold: number }>(
    `SELECT budget_id, period_start, threshold FROM budget_alerts
     WHERE delivery_state = 'pending' AND fired_at < $1 ORDER BY fired_at LIMIT $2`,
    [cutoff, opts.limit],
  );
  return rows.map((r) => ({ budgetId: r.budget_id, periodStart: r.period_start.toISOString(), threshold: r.threshold as AlertThreshold }));
}

/** A tenant's alerts, newest first (the alert event log the admin API lists). */
export async function listAlerts(pool: Pool, tenantId: string, limit = 100): Promise<BudgetAlert[]> {
  const { rows } = await pool.query<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM budget_alerts WHERE tenant_id = $1 ORDER BY fired_at DESC, budget_id, threshold DESC LIMIT $2`,
    [tenantId, limit],
  );
  return rows.map(toAlert);
}

/** Sets (or, with `null`, clears) a tenant's alert webhook. False when the tenant does not exist. */
export async function setAlertWebhook(pool: Pool, tenantId: string, url: string | null): Promise<boolean> {
  const { rowCount } = await pool.query('UPDATE tenants SET alert_webhook_url = $2 WHERE id = $1', [tenantId, url]);
  return rowCount === 1;
}
