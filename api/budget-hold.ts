import { setTimeout as delay } from 'node:timers/promises';
import type { Pool } from 'pg';
import type { BudgetAlertNotifier } from '../budget/alert-types';
import { reserveCall, type BudgetHold, type ChargeDeps, type ReserveCallInput } from '../budget/charge';
import { adapterOutputCaps } from '../budget/output-caps';
import { LedgerError } from '../db/ledger';
import { PriceCache } from '../prices/price-cache';
import type { ProviderRegistry } from '../providers/registry';
import { budgetExceededToHttp, priceUnknownToHttp } from './failure-to-http';
import { HttpError } from './http-error';

/** What the API's money path needs; `ApiDeps` satisfies it. */
export interface ApiChargeDeps {
  readonly pool: Pool;
  readonly providers: ProviderRegistry;
  /** Starts budget alert deliveries after settlement; see `ChargeDeps.alerts`. */
  readonly budgetAlerts?: BudgetAlertNotifier;
}

const charges = new WeakMap<ApiChargeDeps, ChargeDeps>();

/**
 * The money path's dependencies from the API's, built once per API (both paths use them on
 * every request: hold, then settle or release).
 */
export function chargeDeps(deps: ApiChargeDeps): ChargeDeps {
  let charge = charges.get(deps);
  if (!charge) {
    charge = { pool: deps.pool, prices: PriceCache.for(deps.pool), defaultOutputCap: adapterOutputCaps(deps.providers), alerts: deps.budgetAlerts };
    charges.set(deps, charge);
  }
  return charge;
}

/**
 * Pauses between tries of a hold whose ledger call failed (a dropped connection, a failover):
 * short, because the client is waiting and nothing has been spent yet.
 */
export const HOLD_RETRY_PAUSES_MS: readonly number[] = [100, 300];

/**
 * Holds a request's estimate before anything goes upstream (both paths), retrying a ledger that
 * cannot be reached a couple of times, as the workflow's reserve step used to.
 *
 * @throws HttpError 429 `budget_exceeded`, 400 `model_price_unknown`, or 503
 *   `ledger_unavailable` (with Retry-After) when the ledger stays unreachable.
 */
export async function holdBudget(charge: ChargeDeps, input: ReserveCallInput, pausesMs: readonly number[] = HOLD_RETRY_PAUSES_MS): Promise<BudgetHold> {
  for (let attempt = 0; ; attempt++) {
    let outcome;
    try {
      outcome = await reserveCall(charge, input);
    } catch (err) {
      // The ledger's own verdicts are final; only a failed call is worth another try.
      if (err instanceof LedgerError) throw err;
      const pause = pausesMs[attempt];
      if (pause === undefined) {
        throw new HttpError(503, 'The budget ledger is unavailable; retry the request shortly.', {
          type: 'api_error',
          code: 'ledger_unavailable',
          headers: { 'retry-after': '1' },
        });
      }
      await delay(pause);
      continue;
    }
    if (outcome.ok) return outcome.hold;
    throw outcome.reason === 'BudgetExceeded' ? budgetExceededToHttp(outcome.refusal) : priceUnknownToHttp({ models: outcome.models });
  }
}
