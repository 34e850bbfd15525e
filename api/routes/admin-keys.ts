import type { Request, Response } from 'express';
import { z } from 'zod';
import { issueKey, revokeKey } from '../../db/keys';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';

const createKeySchema = z.object({ name: z.string().min(1).max(200), tenant_id: z.string().min(1).optional() }).strict();

/** POST /admin/keys: issues a key; the secret is in this response only. */
export function createKey(deps: ApiDeps) {
  return async function createKeyHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createKeySchema, req.body);
    if (body.tenant_id) {
      const { rowCount } = await deps.pool.query('SELECT 1 FROM tenants WHERE id = $1', [body.tenant_id]);
      if (!rowCount) throw new HttpError(404, `Tenant ${body.tenant_id} does not exist.`, { param: 'tenant_id', code: 'tenant_not_found' });
    }
    const issued = await issueKey(deps.pool, { name: body.name, tenantId: body.tenant_id });
    deps.logger.info({ keyId: issued.id, tenantId: issued.tenantId }, 'client key issued');
    res.status(201).json({
      id: issued.id,
      key: issued.key,
      name: issued.name,
      prefix: issued.prefix,
      tenant_id: issued.tenantId,
      created_at: Math.floor(issued.createdAt.getTime() / 1000),
    });
  };
}

/** DELETE /admin/keys/:id: revokes a key; this instance forgets it at once, others within the cache TTL. */
export function deleteKey(deps: ApiDeps) {
  return async function deleteKeyHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    if (!(await revokeKey(deps.pool, id))) throw new HttpError(404, `No active key with id ${id}.`, { code: 'key_not_found' });
    deps.keys.invalidate(id);
    deps.logger.info({ keyId: id }, 'client key revoked');
    res.json({ id, object: 'key', deleted: true });
  };
}
