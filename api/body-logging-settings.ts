import type { Pool } from 'pg';
import { getBodyLogging } from '../db/request-bodies';

/** Whether a tenant's bodies are stored, and for how long. */
export interface BodyLoggingRule {
  readonly enabled: boolean;
  readonly retentionDays: number;
}

const OFF: BodyLoggingRule = Object.freeze({ enabled: false, retentionDays: 0 });

/**
 * Per-tenant body-logging settings, cached for `ttlMs` (default 5 s) so the request path reads
 * them without a database call. A change through the admin API applies at once on the instance
 * that made it (`invalidate`) and within the TTL on the others, like key and rate-limit changes.
 */
export class BodyLoggingSettings {
  private readonly cache = new Map<string, { rule: BodyLoggingRule; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 5_000,
  ) {}

  /** The cached rule, or undefined when it is not cached (or expired). */
  peek(tenantId: string): BodyLoggingRule | undefined {
    const hit = this.cache.get(tenantId);
    return hit && hit.until > Date.now() ? hit.rule : undefined;
  }

  /** The tenant's rule, from the cache or Postgres; a tenant with no setting is off. */
  async get(tenantId: string): Promise<BodyLoggingRule> {
    const cached = this.peek(tenantId);
    if (cached) return cached;
    const row = await getBodyLogging(this.pool, tenantId);
    const rule = row ? Object.freeze({ enabled: row.enabled, retentionDays: row.retentionDays }) : OFF;
    this.cache.set(tenantId, { rule, until: Date.now() + this.ttlMs });
    return rule;
  }

  /** Forgets the tenant's cached rule (after an admin change on this instance). */
  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
