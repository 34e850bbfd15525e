import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import { inTransaction } from '../../db/ledger/transaction';
import { NO_POLICY, PolicyScope, putPolicy } from '../../db/policies';
import { deleteEmptyTenant, getTenant, insertTenant, listTenants, renameTenant, type Tenant } from '../../db/tenants';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { policyBody, policyFields, rulesFrom, setsPolicy, unixSeconds } from '../validation/policy-fields';
import { validateBody } from '../validation/validate';

/** Ids are chosen by the admin (they appear in budgets, reports and search attributes). */
export const entityId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be 1-100 letters, digits, dots, underscores or dashes');

const createTenantSchema = z.object({ id: entityId, name: z.string().min(1).max(200), ...policyFields }).strict();
const patchTenantSchema = z.object({ name: z.string().min(1).max(200).optional(), ...policyFields }).strict();
const listQuerySchema = z.object({ after: z.string().min(1).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

function tenantBody(t: Tenant) {
  return { id: t.id, object: 'tenant', name: t.name, created_at: unixSeconds(t.createdAt), ...policyBody(t.policy) };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No tenant with id ${id}.`, { code: 'tenant_not_found' });
}

/** POST /admin/tenants {id, name, policy fields}: 409 when the id is taken. */
export function createTenantRoute(deps: ApiDeps) {
  return async function createTenantHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createTenantSchema, req.body);
    const tenant = await inTransaction(deps.pool, async (db) => {
      if (!(await insertTenant(db, { id: body.id, name: body.name }))) {
        throw new HttpError(409, `A tenant with id ${body.id} already exists.`, { param: 'id', code: 'tenant_exists' });
      }
      await putPolicy(db, { scope: PolicyScope.Tenant, scopeId: body.id, tenantId: body.id, rules: rulesFrom(NO_POLICY, body) });
      const created = (await getTenant(db, body.id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'create',
        entityType: AuditEntity.Tenant,
        entityId: body.id,
        tenantId: body.id,
        before: null,
        after: tenantBody(created),
      });
      return created;
    });
    deps.logger.info({ tenantId: tenant.id }, 'tenant created');
    res.status(201).json(tenantBody(tenant));
  };
}

/** GET /admin/tenants?after=&limit=: tenants in id order (without their rules; GET one for those). */
export function listTenantsRoute(deps: ApiDeps) {
  return async function listTenantsHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(listQuerySchema, { ...(req.query as Record<string, unknown>) });
    const rows = await listTenants(deps.pool, { afterId: query.after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    res.json({
      object: 'list',
      data: page.map((t) => ({ id: t.id, object: 'tenant', name: t.name, created_at: unixSeconds(t.createdAt) })),
      has_more: rows.length > query.limit,
      last_id: page.at(-1)?.id ?? null,
    });
  };
}

/** GET /admin/tenants/:id: the tenant with its rules. */
export function getTenantRoute(deps: ApiDeps) {
  return async function getTenantHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const tenant = await getTenant(deps.pool, id);
    if (!tenant) throw notFound(id);
    res.json(tenantBody(tenant));
  };
}

/** PATCH /admin/tenants/:id {name?, policy fields}: rules apply to every key of the tenant (others within the key cache TTL). */
export function patchTenantRoute(deps: ApiDeps) {
  return async function patchTenantHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const body = validateBody(patchTenantSchema, req.body);
    const tenant = await inTransaction(deps.pool, async (db) => {
      const before = await getTenant(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      if (body.name !== undefined) await renameTenant(db, id, body.name);
      if (setsPolicy(body)) await putPolicy(db, { scope: PolicyScope.Tenant, scopeId: id, tenantId: id, rules: rulesFrom(before.policy, body) });
      const after = (await getTenant(db, id))!;
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'update',
        entityType: AuditEntity.Tenant,
        entityId: id,
        tenantId: id,
        before: tenantBody(before),
        after: tenantBody(after),
      });
      return after;
    });
    deps.keys.invalidateTenant(id);
    deps.logger.info({ tenantId: id }, 'tenant changed');
    res.json(tenantBody(tenant));
  };
}

/**
 * DELETE /admin/tenants/:id: only a tenant without teams or keys (409 `tenant_not_empty`
 * otherwise); its budgets and rules go with it. The `default` tenant, where keys without a
 * tenant land, is never deleted (409 `default_tenant_protected`).
 */
export function deleteTenantRoute(deps: ApiDeps) {
  return async function deleteTenantHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    if (id === 'default') throw new HttpError(409, 'The default tenant cannot be deleted.', { code: 'default_tenant_protected' });
    await inTransaction(deps.pool, async (db) => {
      const before = await getTenant(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      const blocker = await deleteEmptyTenant(db, id);
      if (blocker === 'teams') throw new HttpError(409, `Tenant ${id} still has teams; delete them first.`, { code: 'tenant_not_empty' });
      if (blocker === 'keys') {
        throw new HttpError(409, `Tenant ${id} has keys; keys (revoked ones too) are kept for their usage records.`, { code: 'tenant_not_empty' });
      }
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'delete',
        entityType: AuditEntity.Tenant,
        entityId: id,
        tenantId: id,
        before: tenantBody(before),
        after: null,
      });
    });
    deps.logger.info({ tenantId: id }, 'tenant deleted');
    res.json({ id, object: 'tenant', deleted: true });
  };
}
