import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import type { Pool } from 'pg';
import { issueKey } from '../../db/keys';
import { reconcileBudgets } from '../../db/ledger';

/** A tenant of its own with one team and one key in it, so budget tests never share counters. */
export interface TestAccount {
  readonly tenantId: string;
  readonly teamId: string;
  readonly keyId: string;
  readonly key: string;
  /** The official OpenAI client with this account's key, its own retries off. */
  readonly openai: OpenAI;
}

/** A short random id with a readable prefix. */
export function uid(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Creates a tenant, a team in it and a key in the team. */
export async function newAccount(pool: Pool, gatewayUrl: string): Promise<TestAccount> {
  const tenantId = uid('tenant');
  const teamId = uid('team');
  await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [tenantId]);
  await pool.query('INSERT INTO teams (id, tenant_id, name) VALUES ($1, $2, $1)', [teamId, tenantId]);
  const issued = await issueKey(pool, { name: 'budget test', tenantId, teamId });
  return {
    tenantId,
    teamId,
    keyId: issued.id,
    key: issued.key,
    openai: new OpenAI({ apiKey: issued.key, baseURL: `${gatewayUrl}/v1`, maxRetries: 0, timeout: 60_000 }),
  };
}

/**
 * The ledger invariant checked after every budget test: for each budget of these tenants, the
 * usage records of its scope sum exactly to its spent, and nothing is left reserved.
 */
export async function expectLedgerBalanced(pool: Pool, tenantIds: readonly string[]): Promise<void> {
  for (const tenantId of tenantIds) {
    for (const r of await reconcileBudgets(pool, tenantId)) {
      expect({ budget: r.budgetId, usage: r.usageCostUsd, reserved: r.reservedUsd }).toEqual({ budget: r.budgetId, usage: r.spentUsd, reserved: '0' });
    }
  }
}
