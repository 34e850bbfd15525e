import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import { inTransaction } from '../../db/ledger/transaction';
import { getBodyLogging, listLoggedBodies, putBodyLogging, type BodyLoggingSetting, type LoggedBody } from '../../db/request-bodies';
import { getTenant } from '../../db/tenants';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';

/** Retention when body logging is turned on without one (days). */
export const DEFAULT_BODY_RETENTION_DAYS = 7;

const putSchema = z
  .object({
    enabled: z.boolean(),
    /** Days each logged body is kept, 1–365 (default: the current value, else 7). */
    retention_days: z.number().int().min(1).max(365).optional(),
  })
  .strict();

const listQuerySchema = z
  .object({
    /** A request id: the page starts after it. */
    after: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

function settingBody(tenantId: string, s: BodyLoggingSetting | null) {
  return {
    object: 'tenant.body_logging',
    tenant_id: tenantId,
    enabled: s?.enabled ?? false,
    retention_days: s?.retentionDays ?? null,
    updated_at: s ? Math.floor(s.updatedAt.getTime() / 1000) : null,
  };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No tenant with id ${id}.`, { code: 'tenant_not_found' });
}

/**
 * PUT /admin/tenants/:id/body-logging {enabled, retention_days?}: turns storing the tenant's
 * request and response bodies on or off. Off by default; audited.
 */
export function putBodyLoggingRoute(deps: ApiDeps) {
  return async function putBodyLoggingHandler(req: Request, res: Response): Promise<void> {
    const tenantId = String(req.params.id);
    const body = validateBody(putSchema, req.body);
    const after = await inTransaction(deps.pool, async (db) => {
      if (!(await getTenant(db, tenantId, { forUpdate: true }))) throw notFound(tenantId);
      const before = await getBodyLogging(db, tenantId);
      const retentionDays = body.retention_days ?? before?.retentionDays ?? DEFAULT_BODY_RETENTION_DAYS;
      const setting = await putBodyLogging(db, { tenantId, enabled: body.enabled, retentionDays });
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'set_body_logging',
        entityType: AuditEntity.Tenant,
        entityId: tenantId,
        tenantId,
        before: settingBody(tenantId, before),
        after: settingBody(tenantId, setting),
      });
      return setting;
    });
    deps.bodyLogging?.invalidate(tenantId);
    deps.logger.info({ tenantId, enabled: after.enabled, retentionDays: after.retentionDays }, 'tenant body logging changed');
    res.json(settingBody(tenantId, after));
  };
}

/** GET /admin/tenants/:id/body-logging: the setting (`enabled: false` when never set). */
export function getBodyLoggingRoute(deps: ApiDeps) {
  return async function getBodyLoggingHandler(req: Request, res: Response): Promise<void> {
    const tenantId = String(req.params.id);
    if (!(await getTenant(deps.pool, tenantId))) throw notFound(tenantId);
    res.json(settingBody(tenantId, await getBodyLogging(deps.pool, tenantId)));
  };
}

/**
 * GET /admin/tenants/:id/request-bodies?after=&limit=: the tenant's logged requests, oldest
 * first, in pages of `limit` (20, at most 100) after the request id `after`.
 */
export function listRequestBodiesRoute(deps: ApiDeps) {
  return async function listRequestBodiesHandler(req: Request, res: Response): Promise<void> {
    const tenantId = String(req.params.id);
    const query = validateBody(listQuerySchema, { ...(req.query as Record<string, unknown>) });
    if (!(await getTenant(deps.pool, tenantId))) throw notFound(tenantId);
    const rows = await listLoggedBodies(deps.pool, tenantId, { after: query.after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    res.json({ object: 'list', data: page.map(loggedBody), has_more: rows.length > query.limit });
  };
}

function loggedBody(b: LoggedBody) {
  return {
    object: 'request.body',
    request_id: b.requestId,
    key_id: b.keyId,
    route: b.route,
    model: b.model,
    status: b.status,
    request: b.requestBody,
    response: b.responseBody,
    truncated: b.truncated,
    created_at: Math.floor(b.createdAt.getTime() / 1000),
    expires_at: Math.floor(b.expiresAt.getTime() / 1000),
  };
}
