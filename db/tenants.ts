import { NO_POLICY, PolicyScope, getPolicy, type PolicyRules } from './policies';
import type { Queryable } from './queryable';

/** A tenant with its rules. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly policy: PolicyRules;
}

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}

/** Inserts a tenant; null when the id is taken. */
export async function insertTenant(db: Queryable, input: { id: string; name: string }): Promise<Tenant | null> {
  const { rows } = await db.query<TenantRow>('INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id, name, created_at', [
    input.id,
    input.name,
  ]);
  return rows[0] ? { id: rows[0].id, name: rows[0].name, createdAt: rows[0].created_at, policy: NO_POLICY } : null;
}

/** A tenant with its rules; `forUpdate` locks its row. Null when unknown. */
export async function getTenant(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Tenant | null> {
  const { rows } = await db.query<TenantRow>(`SELECT id, name, created_at FROM tenants WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  const r = rows[0];
  if (!r) return null;
  return { id: r.id, name: r.name, createdAt: r.created_at, policy: await getPolicy(db, PolicyScope.Tenant, r.id) };
}

/** Tenants in id order after `afterId`, `limit` at most (rules not loaded: see {@link getTenant}). */
export async function listTenants(db: Queryable, opts: { afterId?: string; limit: number }): Promise<Array<Omit<Tenant, 'policy'>>> {
  const { rows } = await db.query<TenantRow>('SELECT id, name, created_at FROM tenants WHERE id > $1 ORDER BY id LIMIT $2', [opts.afterId ?? '', opts.limit]);
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
}

export async function renameTenant(db: Queryable, id: string, name: string): Promise<void> {
  await db.query('UPDATE tenants SET name = $2 WHERE id = $1', [id, name]);
}

/**
 * Deletes a tenant that owns no teams, keys or usage; its budgets and rules go with it.
 * Returns what kept it, or null when it was deleted.
 */
export async function deleteEmptyTenant(db: Queryable, id: string): Promise<'teams' | 'keys' | null> {
  const { rows } = await db.query<{ teams: boolean; keys: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM teams WHERE tenant_id = $1) AS teams, EXISTS (SELECT 1 FROM api_keys WHERE tenant_id = $1) AS keys',
    [id],
  );
  if (rows[0]?.teams) return 'teams';
  if (rows[0]?.keys) return 'keys';
  await db.query('DELETE FROM tenants WHERE id = $1', [id]);
  return null;
}
