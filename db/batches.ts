import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { inTransaction } from './ledger/transaction';
import type { Queryable } from './queryable';
import { BatchStatus, type BatchError, type BatchOutcome } from '../batch/batch-status';

export { BatchStatus, type BatchError, type BatchOutcome } from '../batch/batch-status';

export interface BatchRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly teamId: string | null;
  readonly keyId: string;
  readonly inputFileId: string;
  readonly endpoint: string;
  readonly completionWindow: string;
  readonly status: BatchStatus;
  readonly metadata: Readonly<Record<string, string>> | null;
  readonly errors: readonly BatchError[] | null;
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly outputFileId: string | null;
  readonly errorFileId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly inProgressAt: Date | null;
  readonly finalizingAt: Date | null;
  readonly completedAt: Date | null;
  readonly failedAt: Date | null;
  readonly expiredAt: Date | null;
  readonly cancellingAt: Date | null;
  readonly cancelledAt: Date | null;
}

interface BatchRow {
  id: string;
  tenant_id: string;
  team_id: string | null;
  key_id: string;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  status: BatchStatus;
  metadata: Record<string, string> | null;
  errors: BatchError[] | null;
  total: number;
  completed: number;
  failed: number;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: Date;
  expires_at: Date;
  in_progress_at: Date | null;
  finalizing_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  expired_at: Date | null;
  cancelling_at: Date | null;
  cancelled_at: Date | null;
}

function toBatch(r: BatchRow): BatchRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    teamId: r.team_id,
    keyId: r.key_id,
    inputFileId: r.input_file_id,
    endpoint: r.endpoint,
    completionWindow: r.completion_window,
    status: r.status,
    metadata: r.metadata,
    errors: r.errors,
    total: r.total,
    completed: r.completed,
    failed: r.failed,
    outputFileId: r.output_file_id,
    errorFileId: r.error_file_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    inProgressAt: r.in_progress_at,
    finalizingAt: r.finalizing_at,
    completedAt: r.completed_at,
    failedAt: r.failed_at,
    expiredAt: r.expired_at,
    cancellingAt: r.cancelling_at,
    cancelledAt: r.cancelled_at,
  };
}

/** A new batch id in OpenAI's style (`batch_` + 24 hex digits). */
export function newBatchId(): string {
  return `batch_${randomBytes(12).toString('hex')}`;
}

/** The output and error file ids of a batch: derived from its id, so finalizing twice writes the same rows. */
export function resultFileIds(batchId: string): { output: string; error: string } {
  const suffix = batchId.replace(/^batch_/, '');
  return { output: `file-${suffix}-output`, error: `file-${suffix}-errors` };
}

/** Inserts a batch; `failed` batches (validation errors) are born with `failed_at` set. */
export async function insertBatch(
  db: Queryable,
  b: {
    id: string;
    caller: { tenantId: string; teamId: string | null; keyId: string };
    inputFileId: string;
    endpoint: string;
    completionWindow: string;
    metadata: Record<string, string> | null;
    total: number;
    expiresAt: Date;
    errors?: readonly BatchError[];
  },
): Promise<BatchRecord> {
  const failed = b.errors !== undefined && b.errors.length > 0;
  const { rows } = await db.query<BatchRow>(
    `INSERT INTO batches (id, tenant_id, team_id, key_id, input_file_id, endpoint, completion_window, status, metadata, errors, total, expires_at, failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $8 = 'failed' THEN now() END) RETURNING *`,
    [
      b.id,
      b.caller.tenantId,
      b.caller.teamId,
      b.caller.keyId,
      b.inputFileId,
      b.endpoint,
      b.completionWindow,
      failed ? BatchStatus.Failed : BatchStatus.Validating,
      b.metadata === null ? null : JSON.stringify(b.metadata),
      failed ? JSON.stringify(b.errors) : null,
      b.total,
      b.expiresAt,
    ],
  );
  return toBatch(rows[0]!);
}

/** Deletes a batch whose workflow could not be started. */
export async function deleteBatch(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM batches WHERE id = $1', [id]);
}

/** A batch of the tenant (any tenant when `tenantId` is null); null when unknown. */
export async function getBatch(db: Queryable, tenantId: string | null, id: string): Promise<BatchRecord | null> {
  const { rows } = await db.query<BatchRow>('SELECT * FROM batches WHERE id = $1 AND ($2::text IS NULL OR tenant_id = $2)', [id, tenantId]);
  return rows[0] ? toBatch(rows[0]) : null;
}

/** The tenant's batches, newest first, after the batch `after`; `limit` + 1 rows (has_more). */
export async function listBatches(db: Queryable, opts: { tenantId: string; after?: string; limit: number }): Promise<BatchRecord[]> {
  const { rows } = await db.query<BatchRow>(
    `SELECT * FROM batches WHERE tenant_id = $1
       AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM batches WHERE id = $2 AND tenant_id = $1))
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [opts.tenantId, opts.after ?? null, opts.limit + 1],
  );
  return rows.map(toBatch);
}

/** The first line whose `url` is not the batch's endpoint, if any. */
export async function firstLineOffEndpoint(db: Queryable, fileId: string, endpoint: string): Promise<{ lineNo: number; url: string } | null> {
  const { rows } = await db.query<{ line_no: number; url: string }>(
    'SELECT line_no, url FROM file_lines WHERE file_id = $1 AND url <> $2 ORDER BY line_no LIMIT 1',
    [fileId, endpoint],
  );
  return rows[0] ? { lineNo: rows[0].line_no, url: rows[0].url } : null;
}

/** The `body.model` of a file's first line (for the batch's LlmModel search attribute). */
export async function firstLineModel(db: Queryable, fileId: string): Promise<string | null> {
  const { rows } = await db.query<{ model: string | null }>(
    `SELECT (line::jsonb) -> 'body' ->> 'model' AS model FROM file_lines WHERE file_id = $1 ORDER BY line_no LIMIT 1`,
    [fileId],
  );
  return rows[0]?.model ?? null;
}

/** `validating` → `in_progress`; a batch already cancelling stays so. */
export async function markInProgress(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE batches SET status = 'in_progress', in_progress_at = now() WHERE id = $1 AND status = 'validating'`, [id]);
}

/**
 * Asks for a cancel: `validating`/`in_progress` → `cancelling`. Returns the batch after the
 * change, or null when there is no such batch of the tenant.
 */
export async function requestCancel(db: Queryable, tenantId: string, id: string): Promise<BatchRecord | null> {
  await db.query(
    `UPDATE batches SET status = 'cancelling', cancelling_at = now() WHERE id = $1 AND tenant_id = $2 AND status IN ('validating', 'in_progress')`,
    [id, tenantId],
  );
  return getBatch(db, tenantId, id);
}

/** Recounts `completed` / `failed` from the results (one index scan of the batch's rows). */
export async function refreshCounts(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE batches b SET completed = c.ok, failed = c.err
     FROM (SELECT count(*) FILTER (WHERE ok) AS ok, count(*) FILTER (WHERE NOT ok) AS err FROM batch_results WHERE batch_id = $1) c
     WHERE b.id = $1`,
    [id],
  );
}

/** One line of a page, and whether a result exists for it already. */
export interface PageLine {
  readonly lineNo: number;
  readonly customId: string;
  readonly line: string;
  readonly answered: boolean;
}

/** Up to `limit` input lines after `afterLine`, in order, each marked answered or not. */
export async function pageLines(db: Queryable, opts: { batchId: string; fileId: string; afterLine: number; limit: number }): Promise<PageLine[]> {
  const { rows } = await db.query<{ line_no: number; custom_id: string; line: string; answered: boolean }>(
    `SELECT fl.line_no, fl.custom_id, fl.line, EXISTS (SELECT 1 FROM batch_results r WHERE r.batch_id = $1 AND r.line_no = fl.line_no) AS answered
     FROM file_lines fl WHERE fl.file_id = $2 AND fl.line_no > $3 ORDER BY fl.line_no LIMIT $4`,
    [opts.batchId, opts.fileId, opts.afterLine, opts.limit],
  );
  return rows.map((r) => ({ lineNo: r.line_no, customId: r.custom_id, line: r.line, answered: r.answered }));
}

/** Stores an item's result line; a second write for the same line is ignored (first wins). */
export async function insertResult(db: Queryable, r: { batchId: string; lineNo: number; ok: boolean; line: string }): Promise<void> {
  await db.query('INSERT INTO batch_results (batch_id, line_no, ok, line) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [r.batchId, r.lineNo, r.ok, r.line]);
}

/**
 * Writes an error line with `code` for every line not answered yet (expired batches), in one
 * statement. Returns how many were written.
 */
export async function failUnanswered(db: Queryable, opts: { batchId: string; fileId: string; code: string; message: string }): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO batch_results (batch_id, line_no, ok, line)
     SELECT $1, fl.line_no, false,
            json_build_object('id', 'batch_req_' || md5($1 || ':' || fl.line_no), 'custom_id', fl.custom_id, 'response', NULL,
                              'error', json_build_object('code', $3::text, 'message', $4::text))::text
     FROM file_lines fl WHERE fl.file_id = $2
       AND NOT EXISTS (SELECT 1 FROM batch_results r WHERE r.batch_id = $1 AND r.line_no = fl.line_no)
     ON CONFLICT DO NOTHING`,
    [opts.batchId, opts.fileId, opts.code, opts.message],
  );
  return rowCount ?? 0;
}

const FINAL_STATUS: Record<BatchOutcome, { status: BatchStatus; column: string }> = {
  completed: { status: BatchStatus.Completed, column: 'completed_at' },
  cancelled: { status: BatchStatus.Cancelled, column: 'cancelled_at' },
  expired: { status: BatchStatus.Expired, column: 'expired_at' },
  failed: { status: BatchStatus.Failed, column: 'failed_at' },
};

/**
 * Ends a batch: `finalizing`, then (one transaction) the counters, the output and error files
 * (only those with lines; ids derived from the batch id, so a retry writes nothing new) and the
 * final status. Idempotent: a batch already in a final status is returned unchanged.
 */
export async function finalizeBatch(pool: Pool, id: string, outcome: BatchOutcome, errors?: readonly BatchError[]): Promise<BatchRecord> {
  await pool.query(`UPDATE batches SET status = 'finalizing', finalizing_at = now() WHERE id = $1 AND status IN ('validating', 'in_progress', 'cancelling')`, [
    id,
  ]);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<BatchRow>('SELECT * FROM batches WHERE id = $1 FOR UPDATE', [id]);
    const batch = toBatch(rows[0]!);
    if (batch.status !== BatchStatus.Finalizing) return batch;
    await refreshCounts(client, id);
    const ids = resultFileIds(id);
    const { rows: sums } = await client.query<{ ok: boolean; lines: number; bytes: string }>(
      'SELECT ok, count(*)::int AS lines, sum(octet_length(line) + 1) AS bytes FROM batch_results WHERE batch_id = $1 GROUP BY ok',
      [id],
    );
    let outputFileId: string | null = null;
    let errorFileId: string | null = null;
    for (const s of sums) {
      const fileId = s.ok ? ids.output : ids.error;
      await client.query(
        `INSERT INTO files (id, tenant_id, key_id, purpose, filename, bytes, line_count, source, batch_id, status)
         VALUES ($1, $2, $3, 'batch_output', $4, $5, $6, $7, $8, 'processed') ON CONFLICT (id) DO NOTHING`,
        [fileId, batch.tenantId, batch.keyId, `${id}_${s.ok ? 'output' : 'error'}.jsonl`, s.bytes, s.lines, s.ok ? 'output' : 'error', id],
      );
      if (s.ok) outputFileId = fileId;
      else errorFileId = fileId;
    }
    const final = FINAL_STATUS[outcome];
    const { rows: done } = await client.query<BatchRow>(
      `UPDATE batches SET status = $2, ${final.column} = now(), output_file_id = $3, error_file_id = $4, errors = COALESCE($5, errors)
       WHERE id = $1 RETURNING *`,
      [id, final.status, outputFileId, errorFileId, errors && errors.length > 0 ? JSON.stringify(errors) : null],
    );
    return toBatch(done[0]!);
  });
}
