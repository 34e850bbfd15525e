import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import { inTransaction } from '../../db/ledger/transaction';
import { UNIQUE_VIOLATION, deleteEmptyTeam, getTeam, insertTeam, listTeams, renameTeam, type Team } from '../../db/teams';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { unixSeconds } from '../validation/policy-fields';
import { validateBody } from '../validation/validate';
import { entityId } from './admin-tenants';

const createTeamSchema = z.object({ id: entityId, tenant_id: z.string().min(1), name: z.string().min(1).max(200) }).strict();
const patchTeamSchema = z.object({ name: z.string().min(1).max(200) }).strict();
const listQuerySchema = z.object({ tenant_id: z.string().min(1) }).strict();

function teamBody(t: Team) {
  return { id: t.id, object: 'team', tenant_id: t.tenantId, name: t.name, created_at: unixSeconds(t.createdAt) };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No team with id ${id}.`, { code: 'team_not_found' });
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === UNIQUE_VIOLATION;
}

/** POST /admin/teams {id, tenant_id, name}: 404 for an unknown tenant, 409 for a taken id or name. */
export function createTeamRoute(deps: ApiDeps) {
  return async function createTeamHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createTeamSchema, req.body);
    const team = await inTransaction(deps.pool, async (db) => {
      const { rowCount } = await db.query('SELECT 1 FROM tenants WHERE id = $1 FOR SHARE', [body.tenant_id]);
      if (!rowCount) throw new HttpError(404, `Tenant ${body.tenant_id} does not exist.`, { param: 'tenant_id', code: 'tenant_not_found' });
      const created = await insertTeam(db, { id: body.id, tenantId: body.tenant_id, name: body.name }).catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new HttpError(409, `A team with id ${body.id} or name ${body.name} already exists.`, { code: 'team_exists' });
        throw err;
      });
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'create',
        entityType: AuditEntity.Team,
        entityId: created.id,
        tenantId: created.tenantId,
        before: null,
        after: teamBody(created),
      });
      return created;
    });
    deps.logger.info({ teamId: team.id, tenantId: team.tenantId }, 'team created');
    res.status(201).json(teamBody(team));
  };
}

/** GET /admin/teams?tenant_id=: a tenant's teams. */
export function listTeamsRoute(deps: ApiDeps) {
  return async function listTeamsHandler(req: Request, res: Response): Promise<void> {
    const query = validateBody(listQuerySchema, { ...(req.query as Record<string, unknown>) });
    res.json({ object: 'list', data: (await listTeams(deps.pool, query.tenant_id)).map(teamBody) });
  };
}

/** GET /admin/teams/:id. */
export function getTeamRoute(deps: ApiDeps) {
  return async function getTeamHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const team = await getTeam(deps.pool, id);
    if (!team) throw notFound(id);
    res.json(teamBody(team));
  };
}

/** PATCH /admin/teams/:id {name}. A team never moves to another tenant: its keys and usage stay where they are. */
export function patchTeamRoute(deps: ApiDeps) {
  return async function patchTeamHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const body = validateBody(patchTeamSchema, req.body);
    const team = await inTransaction(deps.pool, async (db) => {
      const before = await getTeam(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      const after = await renameTeam(db, id, body.name).catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new HttpError(409, `Tenant ${before.tenantId} already has a team named ${body.name}.`, { code: 'team_exists' });
        throw err;
      });
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'update',
        entityType: AuditEntity.Team,
        entityId: id,
        tenantId: before.tenantId,
        before: teamBody(before),
        after: teamBody(after),
      });
      return after;
    });
    res.json(teamBody(team));
  };
}

/** DELETE /admin/teams/:id: only a team no key belongs to (409 otherwise); its budgets go with it. */
export function deleteTeamRoute(deps: ApiDeps) {
  return async function deleteTeamHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    await inTransaction(deps.pool, async (db) => {
      const before = await getTeam(db, id, { forUpdate: true });
      if (!before) throw notFound(id);
      if (!(await deleteEmptyTeam(db, id))) {
        throw new HttpError(409, `Team ${id} has keys; keys (revoked ones too) are kept for their usage records.`, { code: 'team_not_empty' });
      }
      await writeAudit(db, {
        actor: actorOf(res),
        action: 'delete',
        entityType: AuditEntity.Team,
        entityId: id,
        tenantId: before.tenantId,
        before: teamBody(before),
        after: null,
      });
    });
    deps.logger.info({ teamId: id }, 'team deleted');
    res.json({ id, object: 'team', deleted: true });
  };
}
