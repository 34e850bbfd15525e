import { WorkflowNotFoundError } from '@temporalio/client';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { BatchEndpoint } from '../../batch/input-line';
import {
  BatchStatus,
  deleteBatch,
  firstLineModel,
  firstLineOffEndpoint,
  getBatch,
  insertBatch,
  listBatches,
  newBatchId,
  requestCancel,
  type BatchRecord,
} from '../../db/batches';
import { getFile } from '../../db/files';
import { cancelBatchSignal } from '../../temporal/batch-messages';
import { SA } from '../../temporal/search-attributes';
import { TaskQueue } from '../../temporal/task-queues';
import { batchWorkflowId } from '../../temporal/workflow-ids';
import type { BatchWorkflowInput } from '../../workflows/batch';
import type { ClientKey } from '../client-keys';
import type { ApiDeps } from '../deps';
import { callerOf } from '../durable-request';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';
import { noSuchFile } from './files';

const createBatchSchema = z.object({
  input_file_id: z.string().min(1),
  endpoint: z.enum([BatchEndpoint.Chat, BatchEndpoint.Embeddings]),
  completion_window: z.literal('24h'),
  metadata: z
    .record(z.string().min(1).max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, 'at most 16 pairs')
    .nullable()
    .optional(),
});

const listQuerySchema = z.object({
  after: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const seconds = (d: Date | null): number | null => (d === null ? null : Math.floor(d.getTime() / 1000));

/** A batch in OpenAI's `Batch` shape. */
export function batchBody(b: BatchRecord) {
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: b.errors ? { object: 'list', data: b.errors } : null,
    input_file_id: b.inputFileId,
    completion_window: b.completionWindow,
    status: b.status,
    output_file_id: b.outputFileId,
    error_file_id: b.errorFileId,
    created_at: seconds(b.createdAt),
    in_progress_at: seconds(b.inProgressAt),
    expires_at: seconds(b.expiresAt),
    finalizing_at: seconds(b.finalizingAt),
    completed_at: seconds(b.completedAt),
    failed_at: seconds(b.failedAt),
    expired_at: seconds(b.expiredAt),
    cancelling_at: seconds(b.cancellingAt),
    cancelled_at: seconds(b.cancelledAt),
    request_counts: { total: b.total, completed: b.completed, failed: b.failed },
    metadata: b.metadata,
  };
}

function noSuchBatch(id: string): HttpError {
  return new HttpError(404, `No such Batch object: ${id}`, { param: 'batch_id', code: 'batch_not_found' });
}

/**
 * POST /v1/batches: checks the input file (the tenant's own, purpose `batch`, every line's `url`
 * the batch's endpoint; a mismatch gives a `failed` batch with the line in `errors`, as OpenAI
 * reports it), stores the batch as `validating` and starts `batch-<id>` on the batch queue.
 */
export function createBatchRoute(deps: ApiDeps) {
  return async function createBatchHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createBatchSchema, req.body);
    const key = res.locals.key as ClientKey;
    const file = await getFile(deps.pool, key.tenantId, body.input_file_id);
    if (!file) throw noSuchFile(body.input_file_id);
    if (file.purpose !== 'batch') {
      throw new HttpError(400, `File ${file.id} has purpose '${file.purpose}'; a batch needs a file uploaded with purpose 'batch'.`, {
        param: 'input_file_id',
        code: 'invalid_value',
      });
    }
    const id = newBatchId();
    const offEndpoint = await firstLineOffEndpoint(deps.pool, file.id, body.endpoint);
    const caller = callerOf(key);
    const batch = await insertBatch(deps.pool, {
      id,
      caller,
      inputFileId: file.id,
      endpoint: body.endpoint,
      completionWindow: body.completion_window,
      metadata: body.metadata ?? null,
      total: file.lineCount,
      expiresAt: new Date(Date.now() + deps.config.batch.completionWindowMs),
      errors: offEndpoint
        ? [
            {
              code: 'invalid_url',
              message: `The line's url ${offEndpoint.url} does not match the batch's endpoint ${body.endpoint}.`,
              param: 'url',
              line: offEndpoint.lineNo,
            },
          ]
        : undefined,
    });
    if (batch.status === BatchStatus.Validating) await startWorkflow(deps, batch, key);
    res.json(batchBody(batch));
  };
}

async function startWorkflow(deps: ApiDeps, batch: BatchRecord, key: ClientKey): Promise<void> {
  const input: BatchWorkflowInput = {
    batchId: batch.id,
    inputFileId: batch.inputFileId,
    caller: callerOf(key),
    expiresAtMs: batch.expiresAt.getTime(),
    pageSize: deps.config.batch.pageSize,
    pagesPerRun: deps.config.batch.pagesPerRun,
    concurrency: deps.config.batch.keyConcurrency.get(key.id) ?? deps.config.batch.concurrency,
    afterLine: 0,
  };
  try {
    // Lines may name different models; the first one's labels the workflow.
    const model = (await firstLineModel(deps.pool, batch.inputFileId)) ?? 'none';
    await deps.temporal.workflow.start('batchWorkflow', {
      taskQueue: TaskQueue.Batch,
      workflowId: batchWorkflowId(batch.id),
      args: [input],
      typedSearchAttributes: [
        { key: SA.Tenant, value: key.tenantId },
        { key: SA.KeyId, value: key.id },
        { key: SA.Model, value: model },
        { key: SA.RequestKind, value: 'batch' },
      ],
    });
  } catch (err) {
    await deleteBatch(deps.pool, batch.id);
    deps.logger.error({ batchId: batch.id, err: err instanceof Error ? err.message : String(err) }, 'could not start the batch workflow');
    throw new HttpError(503, 'The batch could not be started; please retry.', { type: 'api_error', code: 'batch_start_failed' });
  }
}

/** GET /v1/batches/:id, from the batch row (no Temporal query). */
export function getBatchRoute(deps: ApiDeps) {
  return async function getBatchHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const batch = await getBatch(deps.pool, (res.locals.key as ClientKey).tenantId, id);
    if (!batch) throw noSuchBatch(id);
    res.json(batchBody(batch));
  };
}

/** GET /v1/batches: the tenant's batches, newest first, `after`/`limit` pages. */
export function listBatchesRoute(deps: ApiDeps) {
  return async function listBatchesHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(listQuerySchema, { ...req.query });
    const rows = await listBatches(deps.pool, { tenantId: (res.locals.key as ClientKey).tenantId, ...query });
    const data = rows.slice(0, query.limit).map(batchBody);
    res.json({ object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: rows.length > query.limit });
  };
}

/**
 * POST /v1/batches/:id/cancel: records `cancelling` and signals the workflow, which starts no
 * new item, lets the in-flight ones finish and ends the batch as `cancelled`. Cancelling a
 * batch that is cancelling or cancelled answers it as it is; a finished one is 409.
 */
export function cancelBatchRoute(deps: ApiDeps) {
  return async function cancelBatchHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const batch = await requestCancel(deps.pool, (res.locals.key as ClientKey).tenantId, id);
    if (!batch) throw noSuchBatch(id);
    if (batch.status !== BatchStatus.Cancelling && batch.status !== BatchStatus.Cancelled) {
      throw new HttpError(409, `Cannot cancel a batch with status '${batch.status}'.`, { code: 'batch_not_cancellable' });
    }
    if (batch.status === BatchStatus.Cancelling) {
      try {
        await deps.temporal.workflow.getHandle(batchWorkflowId(id)).signal(cancelBatchSignal);
      } catch (err) {
        // The workflow already ended (it finalizes whatever status the row has).
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    res.json(batchBody(batch));
  };
}
