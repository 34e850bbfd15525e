/**
 * Accounts: tenants own teams and keys; a key belongs to a team or directly to a tenant.
 * Shaped for budgets, limits and policies (issue: tenants, keys, budgets) to hang off the
 * same ids. Keys are stored as SHA-256 digests of 256-bit random secrets: never recoverable,
 * and a digest is enough because the secret has no low-entropy guesses to brute-force.
 */
export const sql = `
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant');

CREATE TABLE teams (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants(id),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE api_keys (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants(id),
  team_id      text REFERENCES teams(id),
  name         text NOT NULL,
  key_prefix   text NOT NULL,
  key_hash     bytea NOT NULL UNIQUE,
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  disabled_at  timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- One row per Idempotency-Key (scoped to the caller's key): the digest of the first request
-- body, so the same key with a different body is refused instead of answered with another
-- request's result.
CREATE TABLE idempotency_keys (
  workflow_id   text PRIMARY KEY,
  key_id        text NOT NULL REFERENCES api_keys(id),
  request_hash  bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
`;
