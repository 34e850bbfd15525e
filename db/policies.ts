import type { Queryable } from './queryable';

/** Whose rules a policy row holds. */
export const PolicyScope = { Key: 'key', Tenant: 'tenant' } as const;
export type PolicyScope = (typeof PolicyScope)[keyof typeof PolicyScope];

/**
 * One scope's request rules, as stored. Every field is optional in effect: `null` (or an
 * empty `deniedModels`) imposes nothing.
 */
export interface PolicyRules {
  /** Model names (as clients send them) the caller may use; `null` = every model. */
  readonly allowedModels: readonly string[] | null;
  readonly deniedModels: readonly string[];
  /** Upper bound for `max_tokens` / `max_completion_tokens`. */
  readonly maxTokensCap: number | null;
  /** Upper bound for `temperature` (0–2). */
  readonly temperatureCap: number | null;
  /** Prepended to every chat request as a system message. */
  readonly systemPrompt: string | null;
}

/** Rules that impose nothing. */
export const NO_POLICY: PolicyRules = Object.freeze({
  allowedModels: null,
  deniedModels: Object.freeze([]),
  maxTokensCap: null,
  temperatureCap: null,
  systemPrompt: null,
});

export interface PolicyRow {
  allowed_models: string[] | null;
  denied_models: string[];
  max_tokens_cap: number | null;
  temperature_cap: string | null;
  system_prompt: string | null;
}

export const POLICY_COLUMNS = 'allowed_models, denied_models, max_tokens_cap, temperature_cap, system_prompt';

export function toPolicyRules(r: PolicyRow): PolicyRules {
  return Object.freeze({
    allowedModels: r.allowed_models ? Object.freeze([...r.allowed_models]) : null,
    deniedModels: Object.freeze([...r.denied_models]),
    maxTokensCap: r.max_tokens_cap,
    temperatureCap: r.temperature_cap === null ? null : Number(r.temperature_cap),
    systemPrompt: r.system_prompt,
  });
}

/** Whether rules impose anything (a row of nothing is deleted instead of stored). */
export function isEmptyPolicy(p: PolicyRules): boolean {
  return p.allowedModels === null && p.deniedModels.length === 0 && p.maxTokensCap === null && p.temperatureCap === null && p.systemPrompt === null;
}

/** A scope's rules; {@link NO_POLICY} when it has none. */
export async function getPolicy(db: Queryable, scope: PolicyScope, scopeId: string): Promise<PolicyRules> {
  const { rows } = await db.query<PolicyRow>(`SELECT ${POLICY_COLUMNS} FROM policies WHERE scope = $1 AND scope_id = $2`, [scope, scopeId]);
  return rows[0] ? toPolicyRules(rows[0]) : NO_POLICY;
}

/** Replaces a scope's rules; rules that impose nothing delete the row. */
export async function putPolicy(db: Queryable, opts: { scope: PolicyScope; scopeId: string; tenantId: string; rules: PolicyRules }): Promise<void> {
  if (isEmptyPolicy(opts.rules)) {
    await db.query('DELETE FROM policies WHERE scope = $1 AND scope_id = $2', [opts.scope, opts.scopeId]);
    return;
  }
  const r = opts.rules;
  await db.query(
    `INSERT INTO policies (scope, scope_id, tenant_id, ${POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (scope, scope_id) DO UPDATE SET allowed_models = $4, denied_models = $5, max_tokens_cap = $6, temperature_cap = $7,
       system_prompt = $8, updated_at = now()`,
    [opts.scope, opts.scopeId, opts.tenantId, r.allowedModels, r.deniedModels, r.maxTokensCap, r.temperatureCap, r.systemPrompt],
  );
}
