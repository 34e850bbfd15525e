import type { Request, Response } from 'express';
import { z } from 'zod';
import { listAlerts, setAlertWebhook, type BudgetAlert } from '../../db/budget-alerts';
import { alertFields } from '../../budget/alert-webhook';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';

const webhookSchema = z
  .object({
    // http(s) only; `null` removes the webhook (alerts are still recorded, as `no_webhook`).
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable(),
  })
  .strict();

/** PUT /admin/tenants/:id/alert-webhook {url}: where the tenant's budget alerts are POSTed. */
export function putAlertWebhookRoute(deps: ApiDeps) {
  return async function putAlertWebhookHandler(req: Request, res: Response): Promise<void> {
    const tenantId = String(req.params.id);
    const body = validateBody(webhookSchema, req.body);
    if (!(await setAlertWebhook(deps.pool, tenantId, body.url))) {
      throw new HttpError(404, `No tenant with id ${tenantId}.`, { code: 'tenant_not_found' });
    }
    // The URL itself may embed a secret token: log only that it changed.
    deps.logger.info({ tenantId, set: body.url !== null }, 'tenant alert webhook changed');
    res.json({ object: 'tenant.alert_webhook', tenant_id: tenantId, url: body.url });
  };
}

/** GET /admin/budget-alerts?tenant_id=: the tenant's fired alerts and their delivery, newest first. */
export function listBudgetAlertsRoute(deps: ApiDeps) {
  return async function listBudgetAlertsHandler(req: Request, res: Response): Promise<void> {
    const tenantId = req.query.tenant_id;
    if (typeof tenantId !== 'string' || tenantId === '') {
      throw new HttpError(400, "Missing required query parameter: 'tenant_id'.", { param: 'tenant_id', code: 'missing_required_parameter' });
    }
    const alerts = await listAlerts(deps.pool, tenantId);
    res.json({ object: 'list', data: alerts.map(alertBody) });
  };
}

function alertBody(a: BudgetAlert) {
  return {
    object: 'budget.alert',
    ...alertFields(a),
    delivery: { state: a.deliveryState, attempts: a.deliveryAttempts, delivered_at: a.deliveredAt, last_error: a.lastError },
  };
}
