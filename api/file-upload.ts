import { createInterface } from 'node:readline';
import { finished, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { InputLineError, parseInputLine } from '../batch/input-line';
import type { GatewayConfig } from '../config/gateway-config';
import { abortUpload, beginUpload, finishUpload, insertLines, newFileId, type FileRecord, type InputLine } from '../db/files';
import { HttpError } from './http-error';

/** Lines stored per INSERT while an upload streams in. */
const LINES_PER_INSERT = 500;

/** Form fields an upload may carry besides its file; the official clients send `purpose` and at most a few more. */
const MAX_FIELDS = 10;

/** The UTF-8 byte order mark as readline decodes it (it keeps the mark). */
const BYTE_ORDER_MARK = '\uFEFF';

/** Who uploads: the file belongs to the key's tenant. */
export interface Uploader {
  readonly tenantId: string;
  readonly keyId: string;
}

/**
 * Receives `POST /v1/files` (multipart/form-data: `purpose` and `file`) without holding the
 * file in memory: busboy hands the part over as a stream, readline splits it into lines, and
 * every line is validated (`batch/input-line.ts`, `custom_id` unique) and stored in chunks of
 * 500 rows as it arrives. The row stays invisible until the last line is stored.
 *
 * Failure modes: a bad line stops the upload at once with 400 naming its line number (the
 * rest of the request body is read and discarded, and what was stored is deleted); a file over
 * `maxFileBytes` is 413; a missing `file` part or a `purpose` other than `batch` is 400; more
 * than 10 form fields is 400 `too_many_fields` and a second file part 400 `too_many_files`; a
 * truncated body is 400 `invalid_multipart`; a client that goes away mid-body gets nothing, and
 * what was stored is deleted as for any failed upload. A UTF-8 byte order mark at the start of
 * the file is dropped.
 */
export async function receiveUpload(req: Request, deps: { pool: Pool; config: GatewayConfig }, who: Uploader): Promise<FileRecord> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new HttpError(400, 'Uploads must be sent as multipart/form-data with the fields `purpose` and `file`.', { code: 'invalid_content_type' });
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: MAX_FIELDS, fileSize: deps.config.maxFileBytes } });
  } catch (err) {
    throw malformedMultipart(err);
  }
  const fields = new Map<string, string>();
  let stored: Promise<StoredLines> | undefined;
  let overLimit = false;
  const fileId = newFileId();
  let failStore: (err: unknown) => void = () => undefined;
  const storeFailed = new Promise<never>((_resolve, reject) => {
    failStore = reject;
  });
  storeFailed.catch(() => undefined);
  const closed = new Promise<void>((resolve, reject) => {
    // Past a limit busboy skips the part and goes on, which would drop a `purpose` sent late or
    // keep one of two files without a word: the upload fails instead. Any part already stored
    // is removed below, as for every failed upload.
    const refuse = (err: HttpError): void => {
      overLimit = true;
      reject(err);
    };
    parser.on('fieldsLimit', () =>
      refuse(new HttpError(400, `Too many form fields: an upload takes at most ${MAX_FIELDS} besides the file.`, { code: 'too_many_fields' })),
    );
    parser.on('filesLimit', () => refuse(new HttpError(400, 'Only one file may be uploaded per request.', { param: 'file', code: 'too_many_files' })));
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (name, stream, info) => {
      // busboy destroys a part that a truncated body cuts off with the error it also reports on
      // the parser, which answers the request. Unlistened, the part's 'error' (possibly emitted
      // while storeLines awaits the database, or after it gave up) would end the process.
      stream.on('error', () => undefined);
      // After a limit the parser is unpiped (below), so a part it starts now would never end.
      if (name !== 'file' || stored || overLimit) {
        stream.resume();
        return;
      }
      stored = storeLines(stream, { ...deps, fileId, who, filename: info.filename || 'upload.jsonl' }).catch((err: unknown) => {
        // The part's own error is the parser's: a bad request, not a fault of the gateway.
        throw stream.errored && err === stream.errored ? malformedMultipart(err) : err;
      });
      // A failed upload stops reading its part; the rest of the body is discarded below.
      stored.catch((err: unknown) => {
        stream.resume();
        failStore(err);
      });
    });
    parser.on('close', resolve);
    parser.on('error', (err: Error) => reject(malformedMultipart(err)));
    // A client that goes away mid-body ends neither the request nor the parser: the upload would
    // wait forever, its row 'uploading' and its lines stored. Cutting the parser off fails the
    // part, so the upload is removed below like any failed one. A body that arrived whole is
    // never cut off, whenever the connection closes.
    finished(req, (err) => {
      if (!err) return;
      reject(new HttpError(400, 'The request was aborted by the client.', { code: 'request_aborted' }));
      parser.destroy(err);
    });
  });
  req.pipe(parser);
  try {
    // A bad line must answer at once, not after the client has sent the whole body.
    await Promise.race([closed, storeFailed]);
    await closed;
    if (!stored) throw new HttpError(400, "Missing required parameter: 'file'.", { param: 'file', code: 'missing_required_parameter' });
    const lines = await stored;
    const purpose = fields.get('purpose');
    if (purpose === undefined) throw new HttpError(400, "Missing required parameter: 'purpose'.", { param: 'purpose', code: 'missing_required_parameter' });
    if (purpose !== 'batch')
      throw new HttpError(400, `Invalid value for 'purpose': only 'batch' files are accepted.`, { param: 'purpose', code: 'invalid_value' });
    return await finishUpload(deps.pool, { id: fileId, purpose, bytes: lines.bytes, lineCount: lines.count });
  } catch (err) {
    req.unpipe(parser);
    req.resume();
    await stored?.catch(() => undefined);
    await abortUpload(deps.pool, fileId).catch(() => undefined);
    throw err;
  }
}

interface StoredLines {
  readonly count: number;
  readonly bytes: number;
}

async function storeLines(
  stream: Readable & { truncated?: boolean },
  opts: { pool: Pool; config: GatewayConfig; fileId: string; who: Uploader; filename: string },
): Promise<StoredLines> {
  let limited = false;
  let bytes = 0;
  stream.once('limit', () => {
    limited = true;
  });
  const tooLarge = (): HttpError =>
    new HttpError(413, `File too large: the limit is ${opts.config.maxFileBytes} bytes.`, { param: 'file', code: 'file_too_large' });
  await beginUpload(opts.pool, { id: opts.fileId, tenantId: opts.who.tenantId, keyId: opts.who.keyId, filename: opts.filename.slice(0, 255) });
  // Cut off while the row was written: readline would wait forever for a destroyed part's end.
  if (stream.errored) throw stream.errored;
  const seen = new Map<string, number>();
  let chunk: InputLine[] = [];
  let lineNo = 0;
  let count = 0;
  // No await between here and the loop: the part is paused until these listeners attach, and
  // lines read before the loop's iterator exists would be lost. Readline reads the same 'data'
  // events as the byte counter, and its pauses apply to both.
  stream.on('data', (data: Buffer) => {
    bytes += data.length;
  });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  // readline re-emits the part's errors on itself, also once the loop below has stopped reading
  // (a bad line, then the client goes away before the 400 is sent); unlistened, that would end
  // the process. The loop still sees errors that arrive while it reads.
  lines.on('error', () => undefined);
  for await (const read of lines) {
    lineNo++;
    if (limited) throw tooLarge();
    // Editors on Windows start UTF-8 files with a byte order mark; it belongs to the file, not to
    // line 1 (anywhere else it is a bad line). Stored without it, so the batch parses the same text.
    const text = lineNo === 1 && read.startsWith(BYTE_ORDER_MARK) ? read.slice(BYTE_ORDER_MARK.length) : read;
    if (text.trim() === '') continue;
    let parsed;
    try {
      parsed = parseInputLine(text, opts.config);
    } catch (err) {
      if (err instanceof InputLineError) throw badLine(lineNo, err.reason);
      throw err;
    }
    const first = seen.get(parsed.customId);
    if (first !== undefined) throw badLine(lineNo, `custom_id '${parsed.customId}' is already used on line ${first}`);
    seen.set(parsed.customId, lineNo);
    chunk.push({ lineNo, customId: parsed.customId, url: parsed.url, line: text });
    count++;
    if (chunk.length >= LINES_PER_INSERT) {
      await insertLines(opts.pool, opts.fileId, chunk);
      chunk = [];
    }
  }
  if (limited || stream.truncated) throw tooLarge();
  await insertLines(opts.pool, opts.fileId, chunk);
  if (count === 0) throw new HttpError(400, 'The file contains no requests.', { param: 'file', code: 'invalid_file' });
  return { count, bytes };
}

function malformedMultipart(err: unknown): HttpError {
  return new HttpError(400, `Malformed multipart request: ${err instanceof Error ? err.message : String(err)}.`, { code: 'invalid_multipart' });
}

function badLine(lineNo: number, reason: string): HttpError {
  return new HttpError(400, `Line ${lineNo}: ${reason}.`, { param: 'file', code: 'invalid_batch_line' });
}
