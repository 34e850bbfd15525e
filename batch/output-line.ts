import { createHash } from 'node:crypto';
import type { HttpError } from '../api/http-error';

/**
 * Lines of a batch's output and error files, in OpenAI's batch output format:
 * `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`. An answered
 * request (2xx) goes to the output file; a request that got an error status goes to the error
 * file with that status and the OpenAI error body, exactly as the synchronous endpoint would
 * have answered it; a request never sent (expired) has `response: null` and an `error`.
 */

/**
 * `batch_req_<md5(batch id:line)>`: stable per item, so a rewritten line has the same id.
 * `db/batches.ts` builds the same id in SQL for expired lines.
 */
export function batchRequestLineId(batchId: string, lineNo: number): string {
  return `batch_req_${createHash('md5').update(`${batchId}:${lineNo}`).digest('hex')}`;
}

/** The line of an answered item. */
export function successLine(item: { batchId: string; lineNo: number; customId: string; requestId: string; body: unknown }): string {
  return JSON.stringify({
    id: batchRequestLineId(item.batchId, item.lineNo),
    custom_id: item.customId,
    response: { status_code: 200, request_id: item.requestId, body: item.body },
    error: null,
  });
}

/** The line of an item that got an error status (upstream failure, policy, budget, rate limit). */
export function errorResponseLine(item: { batchId: string; lineNo: number; customId: string; requestId: string; error: HttpError }): string {
  return JSON.stringify({
    id: batchRequestLineId(item.batchId, item.lineNo),
    custom_id: item.customId,
    response: { status_code: item.error.status, request_id: item.requestId, body: item.error.toBody() },
    error: null,
  });
}
