/**
 * Accounts admin: policies per key and per tenant, and the admin audit log.
 *
 * - `policies` is one table keyed by (scope, scope_id) rather than columns on `api_keys`,
 *   because a tenant carries the same rules as a key and both apply at once. `tenant_id` is
 *   the owner (the tenant itself, or the key's tenant) so a tenant's deletion takes its rules.
 *   `allowed_models` NULL means every model; an empty `denied_models` denies none.
 * - Key cost-allocation tags live in the existing `api_keys.metadata` (string → string);
 *   the admin API calls them `tags`.
 * - `audit_log` rows are never updated or deleted; `tenant_id` and `entity_id` carry no
 *   foreign key so the record of a deleted tenant, team or key outlives it. `actor` is a
 *   fingerprint of the admin token (a SHA-256 prefix), never the token.
 */
export const sql = `
CREATE TABLE policies (
  scope            text NOT NULL CHECK (scope IN ('key', 'tenant')),
  scope_id         text NOT NULL,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  allowed_models   text[],
  denied_models    text[] NOT NULL DEFAULT '{}',
  max_tokens_cap   integer CHECK (max_tokens_cap > 0),
  temperature_cap  numeric(4,3) CHECK (temperature_cap >= 0 AND temperature_cap <= 2),
  system_prompt    text,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_id)
);
CREATE INDEX policies_tenant ON policies (tenant_id);

CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  entity_type  text NOT NULL,
  entity_id    text NOT NULL,
  tenant_id    text,
  before       jsonb,
  after        jsonb
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
`;
