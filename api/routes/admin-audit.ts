import { once } from 'node:events';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, auditPage, type AuditRecord } from '../../db/audit';
import type { ApiDeps } from '../deps';
import { timestampInput } from '../validation/policy-fields';
import { validateBody } from '../validation/validate';

/** Rows fetched per query: memory stays flat however long the export is. */
const PAGE_SIZE = 500;

const unixOrIso = z.union([z.string().regex(/^\d+$/).transform(Number), z.string()]).pipe(timestampInput);

const auditQuerySchema = z
  .object({
    tenant_id: z.string().min(1).optional(),
    entity_type: z.enum(Object.values(AuditEntity) as [AuditEntity, ...AuditEntity[]]).optional(),
    from: unixOrIso.optional(),
    to: unixOrIso.optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

const CSV_COLUMNS = ['id', 'at', 'actor', 'action', 'entity_type', 'entity_id', 'tenant_id', 'before', 'after'] as const;

function auditBody(r: AuditRecord) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    entity_type: r.entityType,
    entity_id: r.entityId,
    tenant_id: r.tenantId,
    before: r.before,
    after: r.after,
  };
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break; JSON values as JSON text. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(r: AuditRecord): string {
  const body = auditBody(r);
  return CSV_COLUMNS.map((c) => csvField(body[c])).join(',') + '\r\n';
}

/**
 * GET /admin/audit?tenant_id=&entity_type=&from=&to=&format=json|csv: audit rows in the order
 * they were written, streamed page by page (keyset pagination on the id), so an export of any
 * size holds one page in memory. `from` is inclusive, `to` exclusive; both take ISO 8601 or
 * Unix seconds. JSON is `{"object":"list","data":[…]}`; CSV has a header row.
 */
export function auditRoute(deps: ApiDeps) {
  return async function auditHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(auditQuerySchema, { ...(req.query as Record<string, unknown>) });
    const filter = { tenantId: query.tenant_id, entityType: query.entity_type, from: query.from, to: query.to };
    const csv = query.format === 'csv';
    // The first page is read before the headers go out, so a database error is still a clean 500.
    let page = await auditPage(deps.pool, filter, '0', PAGE_SIZE);
    res.status(200).setHeader('content-type', csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    if (csv) res.setHeader('content-disposition', 'attachment; filename="audit.csv"');
    const write = async (chunk: string): Promise<void> => {
      // A client that goes away never drains: stop waiting when the response closes.
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    };
    await write(csv ? CSV_COLUMNS.join(',') + '\r\n' : '{"object":"list","data":[');
    let first = true;
    while (page.length > 0 && !res.destroyed) {
      let chunk = '';
      for (const r of page) {
        chunk += csv ? csvLine(r) : (first ? '' : ',') + JSON.stringify(auditBody(r));
        first = false;
      }
      await write(chunk);
      if (page.length < PAGE_SIZE) break;
      page = await auditPage(deps.pool, filter, page.at(-1)!.id, PAGE_SIZE);
    }
    res.end(csv ? '' : ']}');
  };
}
