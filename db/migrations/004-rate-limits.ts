/**
 * Rate limits: requests and tokens per minute, per key and per tenant.
 *
 * - `rate_limits` is configuration, one row per scope; a null `rpm` or `tpm` means no limit on
 *   that measure. Scopes are polymorphic (key or tenant), so the admin API checks that the
 *   scope exists instead of a foreign key.
 * - `rate_limit_counters` holds one row per scope and one-minute window: every gateway instance
 *   adds its local counts with one upsert per sync and reads the global totals back. The table
 *   is UNLOGGED (no WAL: these writes are the hottest in the schema, and a counter lost in a
 *   Postgres crash only forgets at most the last two minutes of traffic). Old windows are
 *   pruned by the gateways themselves.
 */
export const sql = `
CREATE TABLE rate_limits (
  scope       text NOT NULL CHECK (scope IN ('key', 'tenant')),
  scope_id    text NOT NULL,
  rpm         integer CHECK (rpm > 0),
  tpm         integer CHECK (tpm > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_id),
  CHECK (rpm IS NOT NULL OR tpm IS NOT NULL)
);

CREATE UNLOGGED TABLE rate_limit_counters (
  scope         text NOT NULL,
  scope_id      text NOT NULL,
  window_start  timestamptz NOT NULL,
  requests      bigint NOT NULL DEFAULT 0,
  tokens        bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, scope_id, window_start)
);
CREATE INDEX rate_limit_counters_window ON rate_limit_counters (window_start);
`;
