/**
 * Key rotation and upstream credentials.
 *
 * - `api_keys.budget_key_id` names the key whose key-level budgets a key charges: null means
 *   the key itself; a rotation's successor inherits its predecessor's (the lineage root), so
 *   old and new key spend from the same budget rows during and after the grace period.
 * - `deprecated_at` / `sunset_at` mark a key being rotated away: it keeps working until
 *   `sunset_at` (checked on every request against the cached record, so it stops exactly then),
 *   after which the rotation workflow revokes it. `max_age_seconds` asks the rotation Schedule to
 *   rotate the key once it is that old.
 * - `key_rotations` is one row per rotation; the partial unique index allows one rotation in
 *   grace per key. A scheduled rotation keeps the successor's secret sealed (AES-256-GCM under
 *   the master key) until an admin fetches it once; the column is then cleared.
 * - `provider_credentials` holds an upstream secret per version: `stored` ones are sealed
 *   (never plaintext), `env`/`file` ones are references resolved at run time. The primary
 *   version serves; a `fallback` version is tried on 401/403 during a rotation's grace period;
 *   a `retired` version keeps its fingerprint for the record but no secret.
 */
export const sql = `
ALTER TABLE api_keys
  ADD COLUMN budget_key_id    text REFERENCES api_keys(id),
  ADD COLUMN rotated_from     text REFERENCES api_keys(id),
  ADD COLUMN deprecated_at    timestamptz,
  ADD COLUMN sunset_at        timestamptz,
  ADD COLUMN max_age_seconds  integer CHECK (max_age_seconds > 0);
CREATE INDEX api_keys_budget_key ON api_keys (budget_key_id) WHERE budget_key_id IS NOT NULL;
CREATE INDEX api_keys_max_age ON api_keys (created_at) WHERE max_age_seconds IS NOT NULL AND revoked_at IS NULL;

CREATE TABLE key_rotations (
  id                    text PRIMARY KEY,
  key_id                text NOT NULL REFERENCES api_keys(id),
  successor_id          text NOT NULL REFERENCES api_keys(id),
  tenant_id             text NOT NULL,
  trigger               text NOT NULL CHECK (trigger IN ('admin', 'schedule')),
  -- grace: both keys work; completed: the old key is revoked; cancelled: the successor is.
  state                 text NOT NULL CHECK (state IN ('grace', 'completed', 'cancelled')),
  grace_period_seconds  integer NOT NULL CHECK (grace_period_seconds >= 0),
  sunset_at             timestamptz NOT NULL,
  workflow_id           text NOT NULL,
  sealed_secret         bytea,
  revealed_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz
);
CREATE UNIQUE INDEX key_rotations_one_in_grace ON key_rotations (key_id) WHERE state = 'grace';
CREATE INDEX key_rotations_tenant ON key_rotations (tenant_id, created_at);

CREATE TABLE provider_credentials (
  id          text PRIMARY KEY,
  provider    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);

CREATE TABLE credential_versions (
  credential_id  text NOT NULL REFERENCES provider_credentials(id),
  version        integer NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('stored', 'env', 'file')),
  sealed         bytea,
  reference      text,
  fingerprint    text NOT NULL,
  last4          text,
  -- staged: written by a rotation request, not used yet.
  state          text NOT NULL CHECK (state IN ('staged', 'primary', 'fallback', 'retired')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  retired_at     timestamptz,
  PRIMARY KEY (credential_id, version),
  CHECK (kind <> 'stored' OR sealed IS NOT NULL OR state = 'retired'),
  CHECK (kind = 'stored' OR reference IS NOT NULL)
);
CREATE UNIQUE INDEX credential_versions_one_primary ON credential_versions (credential_id) WHERE state = 'primary';

CREATE TABLE credential_rotations (
  id                    text PRIMARY KEY,
  credential_id         text NOT NULL REFERENCES provider_credentials(id),
  from_version          integer NOT NULL,
  to_version            integer NOT NULL,
  state                 text NOT NULL CHECK (state IN ('grace', 'completed', 'cancelled')),
  grace_period_seconds  integer NOT NULL CHECK (grace_period_seconds >= 0),
  ends_at               timestamptz NOT NULL,
  workflow_id           text NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  finished_at           timestamptz
);
CREATE UNIQUE INDEX credential_rotations_one_in_grace ON credential_rotations (credential_id) WHERE state = 'grace';
`;
