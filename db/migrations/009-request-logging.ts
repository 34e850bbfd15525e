/**
 * Opt-in request/response body logging per tenant. Off by default: the gateway never stores
 * prompts or completions unless an admin turns it on for a tenant, with a retention period.
 *
 * - `tenant_body_logging` holds the setting (one row per tenant that ever had one; `enabled`
 *   false turns it off without forgetting the retention).
 * - `request_bodies` holds one row per logged request. `expires_at` is fixed at write time
 *   (created + retention), so shortening the retention later does not resurrect or extend
 *   anything, and the retention Schedule deletes by one indexed range.
 */
export const sql = `
CREATE TABLE tenant_body_logging (
  tenant_id       text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  enabled         boolean NOT NULL,
  retention_days  integer NOT NULL CHECK (retention_days BETWEEN 1 AND 365),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE request_bodies (
  request_id      text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_id          text NOT NULL,
  route           text NOT NULL,
  model           text,
  status          integer NOT NULL,
  request_body    jsonb,
  -- The bytes sent back as text (JSON, or the SSE events of a stream); capped in size.
  response_body   text,
  truncated       boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL
);
CREATE INDEX request_bodies_tenant ON request_bodies (tenant_id, created_at, request_id);
CREATE INDEX request_bodies_expiry ON request_bodies (expires_at);
`;
