import type { BudgetAlert } from '../db/budget-alerts';

/** The JSON body a tenant's webhook receives for one alert; money as exact decimal strings. */
export interface BudgetAlertPayload {
  readonly object: 'budget.alert';
  /** Stable per alert (the delivery workflow id): receivers may deduplicate on it. */
  readonly id: string;
  readonly tenant_id: string;
  readonly budget_id: string;
  readonly scope: string;
  readonly scope_id: string;
  readonly period: string;
  readonly period_start: string;
  readonly threshold: number;
  readonly limit_usd: string;
  readonly spent_usd: string;
  readonly fired_at: string;
}

export function alertPayload(id: string, a: BudgetAlert): BudgetAlertPayload {
  return { object: 'budget.alert', id, ...alertFields(a) };
}

/** An alert's fields in the API's snake_case, shared by the webhook body and the admin listing. */
export function alertFields(a: BudgetAlert): Omit<BudgetAlertPayload, 'object' | 'id'> {
  return {
    tenant_id: a.tenantId,
    budget_id: a.budgetId,
    scope: a.scope,
    scope_id: a.scopeId,
    period: a.period,
    period_start: a.periodStart,
    threshold: a.threshold,
    limit_usd: a.limitUsd,
    spent_usd: a.spentUsd,
    fired_at: a.firedAt,
  };
}

/** A webhook call that did not succeed; `retryable` follows the usual HTTP rules. */
export class WebhookError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, opts: { status?: number; retryable: boolean; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'WebhookError';
    this.status = opts.status;
    this.retryable = opts.retryable;
  }
}

/**
 * POSTs the payload as JSON (a budget alert, or any tenant event with a stable `id`, such as a
 * scheduled key rotation). A 2xx is success. 408, 429, 5xx, a timeout or a connection error
 * are retryable; any other status is the receiver refusing the alert (not retryable).
 *
 * @param timeoutMs for the whole call, default 10 s.
 * @throws WebhookError
 */
export async function postAlertWebhook(url: string, payload: { readonly id: string }, opts: { timeoutMs?: number } = {}): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'switchyard-budget-alerts', 'idempotency-key': payload.id },
      body: JSON.stringify(payload),
      redirect: 'error',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new WebhookError(`webhook call failed: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
  }
  // The body is not used; reading it frees the connection for reuse.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const s = response.status;
  throw new WebhookError(`webhook answered ${s}`, { status: s, retryable: s === 408 || s === 429 || s >= 500 });
}
