/**
 * Files and batches (the OpenAI Batch API).
 *
 * - `files` holds every file's metadata, scoped to a tenant: uploaded batch input files
 *   (`source = 'input'`) and the output and error files a finished batch produces
 *   (`source = 'output' | 'error'`, `batch_id` set). An upload is `uploading` until its last line
 *   is stored, and invisible until then; a deleted file keeps its row (`deleted_at`).
 * - `file_lines` holds an input file as one row per line, inserted in chunks while the upload
 *   streams in. Postgres rather than the data folder: every API and worker instance shares it,
 *   and the batch workflow pages through it by `(file_id, line_no)`. The line is kept as sent
 *   (byte-exact for `GET /v1/files/:id/content`); it is parsed again when the item runs.
 * - `batches` is the source of truth for `GET /v1/batches/:id`: status, timestamps and counters
 *   are written by the batch workflow's activities, so reads never query Temporal.
 * - `batch_results` holds one row per answered item, unique per (batch, line): the item's
 *   output or error line, written in the same transaction as its settlement, so a retried page
 *   skips it and it is never answered (or charged) twice. Output and error files stream from it
 *   in line order.
 */
export const sql = `
CREATE TABLE files (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL,
  key_id      text NOT NULL,
  purpose     text NOT NULL,
  filename    text NOT NULL,
  bytes       bigint NOT NULL DEFAULT 0,
  line_count  integer NOT NULL DEFAULT 0,
  source      text NOT NULL CHECK (source IN ('input', 'output', 'error')),
  batch_id    text,
  status      text NOT NULL CHECK (status IN ('uploading', 'processed')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);
CREATE INDEX files_tenant_created ON files (tenant_id, created_at, id) WHERE status = 'processed' AND deleted_at IS NULL;

CREATE TABLE file_lines (
  file_id    text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  line_no    integer NOT NULL,
  custom_id  text NOT NULL,
  url        text NOT NULL,
  line       text NOT NULL,
  PRIMARY KEY (file_id, line_no)
);

CREATE TABLE batches (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL,
  team_id            text,
  key_id             text NOT NULL,
  input_file_id      text NOT NULL REFERENCES files (id),
  endpoint           text NOT NULL,
  completion_window  text NOT NULL,
  status             text NOT NULL CHECK (status IN
    ('validating', 'failed', 'in_progress', 'finalizing', 'completed', 'expired', 'cancelling', 'cancelled')),
  metadata           jsonb,
  errors             jsonb,
  total              integer NOT NULL,
  completed          integer NOT NULL DEFAULT 0,
  failed             integer NOT NULL DEFAULT 0,
  output_file_id     text,
  error_file_id      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  expires_at         timestamptz NOT NULL,
  in_progress_at     timestamptz,
  finalizing_at      timestamptz,
  completed_at       timestamptz,
  failed_at          timestamptz,
  expired_at         timestamptz,
  cancelling_at      timestamptz,
  cancelled_at       timestamptz
);
CREATE INDEX batches_tenant_created ON batches (tenant_id, created_at, id);

CREATE TABLE batch_results (
  batch_id   text NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  line_no    integer NOT NULL,
  ok         boolean NOT NULL,
  line       text NOT NULL,
  PRIMARY KEY (batch_id, line_no)
);
`;
