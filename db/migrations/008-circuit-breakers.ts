/**
 * Circuit breakers: one row per deployment (`provider/upstream model`), shared by every
 * gateway process. Processes add their outcomes in batches and read every row back on a short
 * interval (250 ms by default); a transition is decided under the row's lock. `open_until`
 * null with state `open` means open until an admin resets it. Rows are few (one per
 * deployment) and written only when there are outcomes, so a regular (logged) table: an
 * opened circuit survives a Postgres restart.
 */
export const sql = `
CREATE TABLE circuit_states (
  deployment      text PRIMARY KEY,
  state           text NOT NULL CHECK (state IN ('closed', 'open')),
  open_until      timestamptz,
  window_start    timestamptz NOT NULL,
  successes       bigint NOT NULL DEFAULT 0 CHECK (successes >= 0),
  failures        bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
  probe_successes integer NOT NULL DEFAULT 0,
  forced          boolean NOT NULL DEFAULT false,
  reason          text,
  changed_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
`;
