import type { Request, Response } from 'express';
import { z } from 'zod';
import { deleteFile, fileContentPages, getFile, listFiles, type FileRecord } from '../../db/files';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { receiveUpload } from '../file-upload';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';

const listQuerySchema = z.object({
  purpose: z.string().min(1).optional(),
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(['asc', 'desc']).default('desc'),
});

/** A file in OpenAI's `FileObject` shape. */
export function fileBody(f: FileRecord) {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes,
    created_at: Math.floor(f.createdAt.getTime() / 1000),
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    status_details: null,
    expires_at: null,
  };
}

/** 404 in OpenAI's words; also what another tenant's file id gets. */
export function noSuchFile(id: string): HttpError {
  return new HttpError(404, `No such File object: ${id}`, { param: 'id', code: 'file_not_found' });
}

async function ownFile(deps: ApiDeps, res: Response, id: string): Promise<FileRecord> {
  const file = await getFile(deps.pool, (res.locals.key as ClientKey).tenantId, id);
  if (!file) throw noSuchFile(id);
  return file;
}

/** POST /v1/files: a batch input file, streamed in and validated line by line (api/file-upload.ts). */
export function uploadFileRoute(deps: ApiDeps) {
  return async function uploadFileHandler(req: Request, res: Response): Promise<void> {
    const key = res.locals.key as ClientKey;
    const file = await receiveUpload(req, deps, { tenantId: key.tenantId, keyId: key.id });
    res.json(fileBody(file));
  };
}

/** GET /v1/files: the tenant's files, newest first by default, `after`/`limit` pages. */
export function listFilesRoute(deps: ApiDeps) {
  return async function listFilesHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(listQuerySchema, { ...req.query });
    const rows = await listFiles(deps.pool, { tenantId: (res.locals.key as ClientKey).tenantId, ...query });
    const data = rows.slice(0, query.limit).map(fileBody);
    res.json({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: rows.length > query.limit });
  };
}

/** GET /v1/files/:id */
export function getFileRoute(deps: ApiDeps) {
  return async function getFileHandler(req: Request, res: Response): Promise<void> {
    res.json(fileBody(await ownFile(deps, res, String(req.params.id))));
  };
}

/** DELETE /v1/files/:id */
export function deleteFileRoute(deps: ApiDeps) {
  return async function deleteFileHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    if (!(await deleteFile(deps.pool, (res.locals.key as ClientKey).tenantId, id))) throw noSuchFile(id);
    res.json({ id, object: 'file', deleted: true });
  };
}

/**
 * GET /v1/files/:id/content: the file's lines, streamed page by page with backpressure (one
 * page of rows in memory). A database failure mid-stream aborts the connection, so the client
 * sees a truncated transfer rather than a silently short file.
 */
export function fileContentRoute(deps: ApiDeps) {
  return async function fileContentHandler(req: Request, res: Response): Promise<void> {
    const file = await ownFile(deps, res, String(req.params.id));
    const pages = fileContentPages(deps.pool, file);
    // The first page is read before the status is sent, so an early failure is a clean error.
    let page = await pages.next();
    res.status(200);
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-disposition', `attachment; filename="${file.filename.replace(/["\\\r\n]/g, '_')}"`);
    try {
      while (!page.done) {
        if (res.destroyed) {
          await pages.return(undefined);
          return;
        }
        await write(res, `${page.value.join('\n')}\n`);
        page = await pages.next();
      }
    } catch (err) {
      deps.logger.error({ requestId: res.locals.requestId, err: err instanceof Error ? err.message : String(err) }, 'file content failed mid-stream');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    res.end();
  };
}

/** Writes and, when the socket buffer is full, waits for it to drain (or the client to go). */
function write(res: Response, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
