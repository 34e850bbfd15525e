import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Queryable } from './queryable';

/** Where a file's content comes from: uploaded lines, or a finished batch's results. */
export const FileSource = { Input: 'input', Output: 'output', Error: 'error' } as const;
export type FileSource = (typeof FileSource)[keyof typeof FileSource];

/** A stored file's metadata (never its content). */
export interface FileRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly purpose: string;
  readonly filename: string;
  readonly bytes: number;
  readonly lineCount: number;
  readonly source: FileSource;
  /** The batch an output or error file belongs to. */
  readonly batchId: string | null;
  readonly createdAt: Date;
}

/** One input line as stored at upload. */
export interface InputLine {
  readonly lineNo: number;
  readonly customId: string;
  readonly url: string;
  readonly line: string;
}

interface FileRow {
  id: string;
  tenant_id: string;
  purpose: string;
  filename: string;
  bytes: string;
  line_count: number;
  source: FileSource;
  batch_id: string | null;
  created_at: Date;
}

const FILE_COLUMNS = 'id, tenant_id, purpose, filename, bytes, line_count, source, batch_id, created_at';

function toFile(r: FileRow): FileRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    purpose: r.purpose,
    filename: r.filename,
    bytes: Number(r.bytes),
    lineCount: r.line_count,
    source: r.source,
    batchId: r.batch_id,
    createdAt: r.created_at,
  };
}

/** A new file id in OpenAI's style (`file-` + 24 hex digits). */
export function newFileId(): string {
  return `file-${randomBytes(12).toString('hex')}`;
}

/** Starts an upload: the row exists but stays invisible (`uploading`) until `finishUpload`. */
export async function beginUpload(db: Queryable, f: { id: string; tenantId: string; keyId: string; filename: string }): Promise<void> {
  await db.query(`INSERT INTO files (id, tenant_id, key_id, purpose, filename, source, status) VALUES ($1, $2, $3, 'batch', $4, 'input', 'uploading')`, [
    f.id,
    f.tenantId,
    f.keyId,
    f.filename,
  ]);
}

/** Stores a chunk of an upload's lines in one statement. */
export async function insertLines(db: Queryable, fileId: string, lines: readonly InputLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO file_lines (file_id, line_no, custom_id, url, line)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
    [fileId, lines.map((l) => l.lineNo), lines.map((l) => l.customId), lines.map((l) => l.url), lines.map((l) => l.line)],
  );
}

/** Makes an upload visible with its final size and purpose. */
export async function finishUpload(db: Queryable, f: { id: string; purpose: string; bytes: number; lineCount: number }): Promise<FileRecord> {
  const { rows } = await db.query<FileRow>(
    `UPDATE files SET status = 'processed', purpose = $2, bytes = $3, line_count = $4 WHERE id = $1 RETURNING ${FILE_COLUMNS}`,
    [f.id, f.purpose, f.bytes, f.lineCount],
  );
  return toFile(rows[0]!);
}

/** Removes a failed upload and its lines. */
export async function abortUpload(db: Queryable, fileId: string): Promise<void> {
  await db.query(`DELETE FROM files WHERE id = $1 AND status = 'uploading'`, [fileId]);
}

/**
 * Removes up to `limit` uploads still `uploading` that began more than `olderThanMs` ago, oldest
 * first, and their lines, as {@link abortUpload} does (the lines go by `ON DELETE CASCADE`):
 * the uploads of a process that died before it could finish or abort them. Idempotent: run
 * again, it deletes whatever is stale by then, possibly nothing; rows another sweep holds are
 * skipped. Returns how many uploads it removed.
 */
export async function deleteStaleUploads(db: Queryable, opts: { olderThanMs: number; limit: number }): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM files WHERE id IN (
       SELECT id FROM files WHERE status = 'uploading' AND created_at < now() - $1 * interval '1 millisecond'
       ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [opts.olderThanMs, opts.limit],
  );
  return rowCount ?? 0;
}

/** A visible file of the tenant; null when unknown, deleted, still uploading or another tenant's. */
export async function getFile(db: Queryable, tenantId: string, id: string): Promise<FileRecord | null> {
  const { rows } = await db.query<FileRow>(
    `SELECT ${FILE_COLUMNS} FROM files WHERE id = $1 AND tenant_id = $2 AND status = 'processed' AND deleted_at IS NULL`,
    [id, tenantId],
  );
  return rows[0] ? toFile(rows[0]) : null;
}

/**
 * A page of the tenant's files by creation time (`order`), after the file `after` (keyset
 * pagination), `limit` + 1 rows so the caller can tell whether more follow.
 */
export async function listFiles(
  db: Queryable,
  opts: { tenantId: string; purpose?: string; after?: string; limit: number; order: 'asc' | 'desc' },
): Promise<FileRecord[]> {
  const cmp = opts.order === 'asc' ? '>' : '<';
  const { rows } = await db.query<FileRow>(
    `SELECT ${FILE_COLUMNS} FROM files f
     WHERE tenant_id = $1 AND status = 'processed' AND deleted_at IS NULL AND ($2::text IS NULL OR purpose = $2)
       AND ($3::text IS NULL OR (created_at, id) ${cmp} (SELECT created_at, id FROM files WHERE id = $3 AND tenant_id = $1))
     ORDER BY created_at ${opts.order}, id ${opts.order} LIMIT $4`,
    [opts.tenantId, opts.purpose ?? null, opts.after ?? null, opts.limit + 1],
  );
  return rows.map(toFile);
}

/**
 * Deletes a file of the tenant: the row stays (`deleted_at`) so batches that name it still
 * resolve; an input file's lines are dropped unless a batch that has not finished still reads
 * them. False when there is no such visible file.
 */
export async function deleteFile(pool: Pool, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE files SET deleted_at = now() WHERE id = $1 AND tenant_id = $2 AND status = 'processed' AND deleted_at IS NULL`,
    [id, tenantId],
  );
  if (!rowCount) return false;
  await pool.query(
    `DELETE FROM file_lines WHERE file_id = $1 AND NOT EXISTS (
       SELECT 1 FROM batches WHERE input_file_id = $1 AND status IN ('validating', 'in_progress', 'finalizing', 'cancelling'))`,
    [id],
  );
  return true;
}

/** Rows read per query when a file's content is streamed. */
export const CONTENT_PAGE_ROWS = 1000;

/**
 * A file's content as pages of lines in line order, one short keyset query per page
 * (`line_no > last ORDER BY line_no`), so a file of any size is streamed with one page in memory
 * and no transaction held open on a slow client.
 */
export async function* fileContentPages(pool: Pool, file: FileRecord): AsyncGenerator<string[]> {
  let after = 0;
  for (;;) {
    const { rows } =
      file.source === FileSource.Input
        ? await pool.query<{ line_no: number; line: string }>(
            'SELECT line_no, line FROM file_lines WHERE file_id = $1 AND line_no > $2 ORDER BY line_no LIMIT $3',
            [file.id, after, CONTENT_PAGE_ROWS],
          )
        : await pool.query<{ line_no: number; line: string }>(
            'SELECT line_no, line FROM batch_results WHERE batch_id = $1 AND ok = $2 AND line_no > $3 ORDER BY line_no LIMIT $4',
            [file.batchId, file.source === FileSource.Output, after, CONTENT_PAGE_ROWS],
          );
    if (rows.length === 0) return;
    yield rows.map((r) => r.line);
    after = rows[rows.length - 1]!.line_no;
    if (rows.length < CONTENT_PAGE_ROWS) return;
  }
}
