/**
 * Money: prices, budgets, reservations and usage.
 *
 * - Every amount is `numeric(20,10)` USD: exact decimal arithmetic in Postgres (no float
 *   drift, so usage sums equal spent counters exactly), and 1e-10 USD resolution because the
 *   cheapest list prices are ~3.5e-8 USD per token: integer micro-dollars would round a small
 *   request to zero. 10 integer digits is far beyond any budget.
 * - `budgets` is configuration; the counters live in `budget_periods`, one row per budget and
 *   period window (UTC day, UTC month, or the single epoch row for `total`). A new window is a
 *   new row that starts at zero, so no cron resets anything.
 * - A reservation holds one `reservation_items` row per budget it counted against, pinned to
 *   the period window it was made in: settlement and release touch exactly those rows, even
 *   when they run after midnight.
 * - Prices are versioned: a change supersedes the current row and inserts a new one; usage
 *   records reference the version they were charged at.
 */
export const sql = `
CREATE TABLE prices (
  id                     bigserial PRIMARY KEY,
  model                  text NOT NULL,
  kind                   text NOT NULL CHECK (kind IN ('chat', 'embedding')),
  input_per_mtok         numeric(20,10) NOT NULL CHECK (input_per_mtok >= 0),
  cached_input_per_mtok  numeric(20,10) CHECK (cached_input_per_mtok >= 0),
  output_per_mtok        numeric(20,10) NOT NULL CHECK (output_per_mtok >= 0),
  max_output_tokens      integer CHECK (max_output_tokens > 0),
  source                 text NOT NULL CHECK (source IN ('seed', 'admin')),
  created_at             timestamptz NOT NULL DEFAULT now(),
  superseded_at          timestamptz
);
-- At most one current version per model.
CREATE UNIQUE INDEX prices_current ON prices (model) WHERE superseded_at IS NULL;

CREATE TABLE budgets (
  id          text PRIMARY KEY,
  -- Denormalised owner, so admin listings filter by tenant without resolving scopes.
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  scope       text NOT NULL CHECK (scope IN ('key', 'team', 'tenant')),
  scope_id    text NOT NULL,
  period      text NOT NULL CHECK (period IN ('day', 'month', 'total')),
  limit_usd   numeric(20,10) NOT NULL CHECK (limit_usd >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (scope, scope_id, period)
);
CREATE INDEX budgets_tenant ON budgets (tenant_id);

CREATE TABLE budget_periods (
  budget_id     text NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
  period_start  timestamptz NOT NULL,
  reserved      numeric(20,10) NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  -- Not capped by a CHECK: a late settlement records real upstream spend even past the limit.
  spent         numeric(20,10) NOT NULL DEFAULT 0 CHECK (spent >= 0),
  PRIMARY KEY (budget_id, period_start)
);

CREATE TABLE reservations (
  -- Caller-provided idempotency key (the workflow id): a retried reserve finds this row.
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id),
  team_id          text REFERENCES teams(id),
  key_id           text NOT NULL REFERENCES api_keys(id),
  amount_usd       numeric(20,10) NOT NULL CHECK (amount_usd >= 0),
  state            text NOT NULL CHECK (state IN ('reserved', 'settled', 'released', 'refused')),
  -- For 'refused': the level, limit and reset time, returned verbatim to a retried reserve.
  refusal          jsonb,
  -- For 'released': 'released' (the request failed) or 'expired' (the sweeper).
  release_reason   text,
  actual_cost_usd  numeric(20,10),
  expires_at       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  settled_at       timestamptz,
  released_at      timestamptz
);
CREATE INDEX reservations_open_by_expiry ON reservations (expires_at) WHERE state = 'reserved';

CREATE TABLE reservation_items (
  reservation_id  text NOT NULL REFERENCES reservations(id) ON DELETE CASCADE,
  budget_id       text NOT NULL,
  period_start    timestamptz NOT NULL,
  amount_usd      numeric(20,10) NOT NULL CHECK (amount_usd >= 0),
  PRIMARY KEY (reservation_id, budget_id),
  FOREIGN KEY (budget_id, period_start) REFERENCES budget_periods (budget_id, period_start) ON DELETE CASCADE
);
CREATE INDEX reservation_items_period ON reservation_items (budget_id, period_start);

CREATE TABLE usage_records (
  id                   bigserial PRIMARY KEY,
  request_id           text NOT NULL,
  -- One usage record per reservation: the database refuses a second settlement.
  reservation_id       text NOT NULL UNIQUE REFERENCES reservations(id),
  tenant_id            text NOT NULL REFERENCES tenants(id),
  team_id              text REFERENCES teams(id),
  key_id               text NOT NULL REFERENCES api_keys(id),
  model                text NOT NULL,
  provider             text,
  deployment           text,
  input_tokens         integer NOT NULL CHECK (input_tokens >= 0),
  output_tokens        integer NOT NULL CHECK (output_tokens >= 0),
  cached_input_tokens  integer NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  cost_usd             numeric(20,10) NOT NULL CHECK (cost_usd >= 0),
  latency_ms           integer,
  status               text NOT NULL,
  tags                 jsonb NOT NULL DEFAULT '{}'::jsonb,
  price_id             bigint REFERENCES prices(id),
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_tenant_time ON usage_records (tenant_id, created_at);
CREATE INDEX usage_records_team_time ON usage_records (team_id, created_at) WHERE team_id IS NOT NULL;
CREATE INDEX usage_records_key_time ON usage_records (key_id, created_at);
`;
