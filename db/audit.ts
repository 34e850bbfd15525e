import type { Pool } from 'pg';
import type { Queryable } from './queryable';

/** What an audit row is about. */
export const AuditEntity = {
  Tenant: 'tenant',
  Team: 'team',
  Key: 'key',
  Budget: 'budget',
  Price: 'price',
  BudgetAlert: 'budget_alert',
  Circuit: 'circuit',
  KeyRotation: 'key_rotation',
  Credential: 'credential',
} as const;
export type AuditEntity = (typeof AuditEntity)[keyof typeof AuditEntity];

/** One change to write: `before` is null for a creation, `after` null for a deletion. */
export interface AuditEntry {
  /** Who: the admin token's fingerprint, never the token. */
  readonly actor: string;
  /** `create`, `update`, `delete`, `revoke`, `set`, … */
  readonly action: string;
  readonly entityType: AuditEntity;
  readonly entityId: string;
  /** The owning tenant; null for global entities (prices). */
  readonly tenantId: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

export interface AuditRecord extends AuditEntry {
  readonly id: string;
  readonly at: Date;
}

/**
 * Appends one audit row. Pass the transaction's client so the row commits (or rolls back)
 * with the change it describes.
 */
export async function writeAudit(db: Queryable, e: AuditEntry): Promise<void> {
  await db.query(`INSERT INTO audit_log (actor, action, entity_type, entity_id, tenant_id, before, after) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)`, [
    e.actor,
    e.action,
    e.entityType,
    e.entityId,
    e.tenantId,
    jsonOrNull(e.before),
    jsonOrNull(e.after),
  ]);
}

function jsonOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export interface AuditFilter {
  readonly tenantId?: string;
  readonly entityType?: string;
  /** Inclusive lower bound of `at`. */
  readonly from?: Date;
  /** Exclusive upper bound of `at`. */
  readonly to?: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  entity_type: AuditEntity;
  entity_id: string;
  tenant_id: string | null;
  before: unknown;
  after: unknown;
}

/**
 * One page of audit rows in id order after `afterId` (keyset pagination: each page is an
 * index range scan, however deep the export goes). An empty page means the end.
 */
export async function auditPage(pool: Pool, filter: AuditFilter, afterId: string, limit: number): Promise<AuditRecord[]> {
  const { rows } = await pool.query<AuditRow>(
    `SELECT id, at, actor, action, entity_type, entity_id, tenant_id, before, after FROM audit_log
     WHERE id > $1 AND ($2::text IS NULL OR tenant_id = $2) AND ($3::text IS NULL OR entity_type = $3)
       AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
     ORDER BY id LIMIT $6`,
    [afterId, filter.tenantId ?? null, filter.entityType ?? null, filter.from ?? null, filter.to ?? null, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    tenantId: r.tenant_id,
    before: r.before,
    after: r.after,
  }));
}
