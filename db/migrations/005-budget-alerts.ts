/**
 * Budget alerts: a webhook URL per tenant, and one row per budget, period window and threshold
 * that fired. The primary key is what makes an alert fire once per period: settlement inserts
 * with ON CONFLICT DO NOTHING and only a new row starts a delivery. The row doubles as the
 * alert's event log (when it fired, at what spend, whether and when the webhook took it).
 *
 * Budget fields are snapshotted at firing time (no foreign key to `budgets`): a later limit
 * change or a deleted budget does not rewrite history, and a retried delivery sends the same
 * body as the first attempt.
 */
export const sql = `
ALTER TABLE tenants ADD COLUMN alert_webhook_url text;

CREATE TABLE budget_alerts (
  budget_id          text NOT NULL,
  period_start       timestamptz NOT NULL,
  threshold          smallint NOT NULL CHECK (threshold IN (80, 100)),
  tenant_id          text NOT NULL,
  scope              text NOT NULL,
  scope_id           text NOT NULL,
  period             text NOT NULL,
  limit_usd          numeric(20,10) NOT NULL,
  spent_usd          numeric(20,10) NOT NULL,
  fired_at           timestamptz NOT NULL DEFAULT now(),
  -- pending: not delivered yet; delivered; failed: retries exhausted; no_webhook: the tenant had none.
  delivery_state     text NOT NULL DEFAULT 'pending' CHECK (delivery_state IN ('pending', 'delivered', 'failed', 'no_webhook')),
  delivery_attempts  integer NOT NULL DEFAULT 0,
  webhook_url        text,
  last_error         text,
  delivered_at       timestamptz,
  PRIMARY KEY (budget_id, period_start, threshold)
);
CREATE INDEX budget_alerts_tenant ON budget_alerts (tenant_id, fired_at);
CREATE INDEX budget_alerts_pending ON budget_alerts (fired_at) WHERE delivery_state = 'pending';
`;
