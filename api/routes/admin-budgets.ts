import type { Request, Response } from 'express';
import { z } from 'zod';
import { AuditEntity, writeAudit } from '../../db/audit';
import { LedgerError, LedgerErrorCode, budgetStatus, createBudget, deleteBudget, getBudget, listBudgets, updateBudget, type Budget } from '../../db/ledger';
import { inTransaction } from '../../db/ledger/transaction';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';
import { usdAmount } from '../validation/usd-amount';

const createBudgetSchema = z
  .object({
    scope: z.enum(['key', 'team', 'tenant']),
    scope_id: z.string().min(1).max(200),
    period: z.enum(['day', 'month', 'total']),
    limit_usd: usdAmount,
  })
  .strict();

const updateBudgetSchema = z.object({ limit_usd: usdAmount }).strict();

/** A budget in the admin API's snake_case shape; money as exact decimal strings. */
function budgetBody(b: Budget) {
  return {
    id: b.id,
    object: 'budget',
    tenant_id: b.tenantId,
    scope: b.scope,
    scope_id: b.scopeId,
    period: b.period,
    limit_usd: b.limitUsd,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

/** The audit fields every budget change shares. */
function audit(res: Response, b: Budget) {
  return { actor: actorOf(res), entityType: AuditEntity.Budget, entityId: b.id, tenantId: b.tenantId };
}

function notFound(id: string): HttpError {
  return new HttpError(404, `No budget with id ${id}.`, { code: 'budget_not_found' });
}

/** POST /admin/budgets: a budget for a key, team or tenant; 404 for an unknown scope, 409 for a duplicate. */
export function createBudgetRoute(deps: ApiDeps) {
  return async function createBudgetHandler(req: Request, res: Response): Promise<void> {
    const body = validateBody(createBudgetSchema, req.body);
    try {
      const budget = await inTransaction(deps.pool, async (db) => {
        const created = await createBudget(db, { scope: body.scope, scopeId: body.scope_id, period: body.period, limitUsd: body.limit_usd });
        await writeAudit(db, { ...audit(res, created), action: 'create', before: null, after: budgetBody(created) });
        return created;
      });
      // Cached keys of the tenant learn at once (here) that a budget now applies to them.
      deps.keys.invalidateTenant(budget.tenantId);
      deps.logger.info({ budgetId: budget.id, scope: budget.scope, scopeId: budget.scopeId }, 'budget created');
      res.status(201).json(budgetBody(budget));
    } catch (err) {
      if (err instanceof LedgerError && err.code === LedgerErrorCode.ScopeNotFound) {
        throw new HttpError(404, `No ${body.scope} with id ${body.scope_id}.`, { param: 'scope_id', code: 'scope_not_found' });
      }
      if (err instanceof LedgerError && err.code === LedgerErrorCode.BudgetExists) {
        throw new HttpError(409, `The ${body.scope} ${body.scope_id} already has a ${body.period} budget.`, { code: 'budget_exists' });
      }
      throw err;
    }
  };
}

/** GET /admin/budgets?tenant_id=: every budget of a tenant (all levels). */
export function listBudgetsRoute(deps: ApiDeps) {
  return async function listBudgetsHandler(req: Request, res: Response): Promise<void> {
    const tenantId = req.query.tenant_id;
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw new HttpError(400, "Missing required query parameter: 'tenant_id'.", { param: 'tenant_id', code: 'missing_required_parameter' });
    }
    const budgets = await listBudgets(deps.pool, tenantId);
    res.json({ object: 'list', data: budgets.map(budgetBody) });
  };
}

/** GET /admin/budgets/:id: the budget with its current period's spent, reserved and remaining. */
export function getBudgetRoute(deps: ApiDeps) {
  return async function getBudgetHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const status = await budgetStatus(deps.pool, id);
    if (!status) throw notFound(id);
    res.json({
      ...budgetBody(status.budget),
      current_period: {
        start: status.periodStart,
        resets_at: status.resetsAt,
        spent_usd: status.spentUsd,
        reserved_usd: status.reservedUsd,
        remaining_usd: status.remainingUsd,
      },
    });
  };
}

/** PATCH /admin/budgets/:id {limit_usd}: takes effect on the next reservation. */
export function updateBudgetRoute(deps: ApiDeps) {
  return async function updateBudgetHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const body = validateBody(updateBudgetSchema, req.body);
    const budget = await inTransaction(deps.pool, async (db) => {
      const before = await getBudget(db, id);
      const after = before && (await updateBudget(db, id, { limitUsd: body.limit_usd }));
      if (!before || !after) throw notFound(id);
      await writeAudit(db, { ...audit(res, after), action: 'update', before: budgetBody(before), after: budgetBody(after) });
      return after;
    });
    deps.logger.info({ budgetId: id, limitUsd: budget.limitUsd }, 'budget limit changed');
    res.json(budgetBody(budget));
  };
}

/** DELETE /admin/budgets/:id: open holds stop counting against it; usage records stay. */
export function deleteBudgetRoute(deps: ApiDeps) {
  return async function deleteBudgetHandler(req: Request, res: Response): Promise<void> {
    const id = String(req.params.id);
    const deleted = await inTransaction(deps.pool, async (db) => {
      const before = await getBudget(db, id);
      if (!before || !(await deleteBudget(db, id))) throw notFound(id);
      await writeAudit(db, { ...audit(res, before), action: 'delete', before: budgetBody(before), after: null });
      return before;
    });
    deps.keys.invalidateTenant(deleted.tenantId);
    deps.logger.info({ budgetId: id }, 'budget deleted');
    res.json({ id, object: 'budget', deleted: true });
  };
}
