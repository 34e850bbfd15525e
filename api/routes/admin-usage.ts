import type { Request, Response } from 'express';
import { z } from 'zod';
import { aggregateUsage, groupColumns, usageRecordBatches, UsageDimension, type UsageFilter, type UsageGroup, type UsageRow } from '../../db/usage-report';
import type { ApiDeps } from '../deps';
import { isStorableDate, STORABLE_DATE_MESSAGE } from '../validation/policy-fields';
import { validateBody } from '../validation/validate';

const id = z.string().min(1).max(200);
/** An ISO 8601 timestamp with offset (`2025-01-31T00:00:00Z`) or a UTC date (`2025-01-31`). */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((value) => new Date(value))
  .refine(isStorableDate, STORABLE_DATE_MESSAGE);
const dimensions: readonly UsageDimension[] = Object.values(UsageDimension);

const usageQuerySchema = z
  .object({
    tenant_id: id.optional(),
    team_id: id.optional(),
    key_id: id.optional(),
    model: id.optional(),
    provider: id.optional(),
    from: instant.optional(),
    to: instant.optional(),
    // Comma-separated, e.g. `model,day`; each dimension at most once.
    group_by: z
      .string()
      .superRefine((value, ctx) => {
        const parts = splitDimensions(value);
        const unknown = parts.find((part) => !(dimensions as readonly string[]).includes(part));
        if (unknown !== undefined) ctx.addIssue({ code: 'custom', message: `unknown dimension '${unknown}' (use ${dimensions.join(', ')})` });
        else if (new Set(parts).size !== parts.length) ctx.addIssue({ code: 'custom', message: 'each dimension may appear once' });
      })
      .transform((value) => splitDimensions(value) as UsageDimension[])
      .optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: "'from' must be before 'to'", path: ['from'] });

type UsageQuery = z.infer<typeof usageQuerySchema>;

/** `model, day` → `['model', 'day']`. */
function splitDimensions(value: string): string[] {
  return value.split(',').map((part) => part.trim());
}

const RAW_COLUMNS = [
  'id',
  'request_id',
  'created_at',
  'tenant_id',
  'team_id',
  'key_id',
  'model',
  'provider',
  'deployment',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cost_usd',
  'latency_ms',
  'status',
  'tags',
] as const;
const SUM_COLUMNS = ['requests', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cost_usd'] as const;

/**
 * GET /admin/usage: usage records (or sums per `group_by`) filtered by tenant, team, key,
 * model, provider and time, as JSON (`{"object":"list","data":[…]}`) or CSV (`format=csv`).
 * Raw records are streamed batch by batch with backpressure, so an export of any size uses
 * bounded memory; grouped output is one aggregate query. Money is an exact decimal string.
 *
 * Once streaming has begun the status is sent, so a database failure mid-export aborts the
 * connection (the client sees a truncated transfer, never a silently short report).
 */
export function usageReportRoute(deps: ApiDeps) {
  return async function usageReportHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(usageQuerySchema, { ...req.query });
    const filter = filterOf(query);
    const csv = query.format === 'csv';
    if (query.group_by) {
      // Before any header is sent, so a failing query is still a clean JSON error.
      const groups = await aggregateUsage(deps.pool, filter, query.group_by);
      const columns = groupColumns(query.group_by);
      startBody(res, csv);
      await write(res, csv ? csvLine([...columns, ...SUM_COLUMNS]) : `{"object":"list","group_by":${JSON.stringify(query.group_by)},"data":[`);
      const lines = groups.map((g) => (csv ? csvLine(groupValues(g, columns)) : JSON.stringify(groupObject(g, columns))));
      await write(res, csv ? lines.join('') : `${lines.join(',')}]}`);
      res.end();
      return;
    }
    const batches = usageRecordBatches(deps.pool, filter);
    let first = await batches.next();
    startBody(res, csv);
    await write(res, csv ? csvLine(RAW_COLUMNS) : '{"object":"list","data":[');
    let separator = '';
    try {
      while (!first.done) {
        if (res.destroyed) {
          await batches.return(undefined);
          return;
        }
        const rows = first.value;
        const chunk = csv ? rows.map((r) => csvLine(rawValues(r))).join('') : separator + rows.map((r) => JSON.stringify(rawObject(r))).join(',');
        separator = ',';
        await write(res, chunk);
        first = await batches.next();
      }
    } catch (err) {
      deps.logger.error({ requestId: res.locals.requestId, err: err instanceof Error ? err.message : String(err) }, 'usage export failed mid-stream');
      res.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!csv) await write(res, ']}');
    res.end();
  };
}

function filterOf(q: UsageQuery): UsageFilter {
  return { tenantId: q.tenant_id, teamId: q.team_id, keyId: q.key_id, model: q.model, provider: q.provider, from: q.from, to: q.to };
}

function startBody(res: Response, csv: boolean): void {
  res.status(200);
  if (csv) {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="usage.csv"');
  } else {
    res.setHeader('content-type', 'application/json; charset=utf-8');
  }
}

/** Writes and, when the socket buffer is full, waits for it to drain (or the client to go). */
function write(res: Response, text: string): Promise<void> {
  if (text === '' || res.write(text)) return Promise.resolve();
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

function groupObject(g: UsageGroup, columns: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column] = g.keys[column] ?? null;
  out.requests = g.requests;
  out.input_tokens = g.inputTokens;
  out.output_tokens = g.outputTokens;
  out.cached_input_tokens = g.cachedInputTokens;
  out.cost_usd = g.costUsd;
  return out;
}

function groupValues(g: UsageGroup, columns: readonly string[]): unknown[] {
  return [...columns.map((c) => g.keys[c] ?? null), g.requests, g.inputTokens, g.outputTokens, g.cachedInputTokens, g.costUsd];
}

function rawObject(r: UsageRow): Record<(typeof RAW_COLUMNS)[number], unknown> {
  return {
    id: r.id,
    request_id: r.requestId,
    created_at: r.createdAt,
    tenant_id: r.tenantId,
    team_id: r.teamId,
    key_id: r.keyId,
    model: r.model,
    provider: r.provider,
    deployment: r.deployment,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    cached_input_tokens: r.cachedInputTokens,
    cost_usd: r.costUsd,
    latency_ms: r.latencyMs,
    status: r.status,
    tags: r.tags,
  };
}

function rawValues(r: UsageRow): unknown[] {
  const o = rawObject(r);
  return RAW_COLUMNS.map((c) => (c === 'tags' ? JSON.stringify(o.tags) : o[c]));
}

/**
 * One RFC 4180 line: fields with a comma, quote or line break are quoted (quotes doubled);
 * null is the empty field. A field starting with `=`, `+`, `-` or `@` gets a leading `'` so a
 * spreadsheet does not run a tag value as a formula. Numbers are written as they are, so a
 * negative number is never affected.
 */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
