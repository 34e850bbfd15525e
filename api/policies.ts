import type { RouteAttempt } from '../config/route-plan';
import type { PolicyRules } from '../db/policies';
import type { ChatRequest } from '../providers/types';
import { HttpError } from './http-error';

/**
 * The rules that apply to one key: its tenant's and its own, merged so that the stricter one
 * wins on every field. Computed once per key-cache load, not per request.
 */
export interface Policy {
  /** `null` = every model. */
  readonly allowedModels: ReadonlySet<string> | null;
  readonly deniedModels: ReadonlySet<string>;
  readonly maxTokensCap: number | null;
  readonly temperatureCap: number | null;
  /** The tenant's prompt, then the key's, separated by a blank line. */
  readonly systemPrompt: string | null;
}

/** Temperature OpenAI uses when a request sets none; an absent temperature counts as this. */
export const DEFAULT_TEMPERATURE = 1;

/**
 * Merges tenant and key rules: allowed lists intersect, denied lists unite, caps take the
 * lower value, and both system prompts apply (tenant first).
 */
export function mergePolicies(tenant: PolicyRules, key: PolicyRules): Policy {
  const allowed =
    tenant.allowedModels && key.allowedModels
      ? key.allowedModels.filter((m) => tenant.allowedModels!.includes(m))
      : (tenant.allowedModels ?? key.allowedModels);
  const prompts = [tenant.systemPrompt, key.systemPrompt].filter((p): p is string => p !== null && p !== '');
  return Object.freeze({
    allowedModels: allowed ? new Set(allowed) : null,
    deniedModels: new Set([...tenant.deniedModels, ...key.deniedModels]),
    maxTokensCap: minOf(tenant.maxTokensCap, key.maxTokensCap),
    temperatureCap: minOf(tenant.temperatureCap, key.temperatureCap),
    systemPrompt: prompts.length > 0 ? prompts.join('\n\n') : null,
  });
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Whether the policy lets a caller use a configured model name. */
export function modelAllowed(policy: Policy, model: string): boolean {
  if (policy.deniedModels.has(model)) return false;
  return policy.allowedModels === null || policy.allowedModels.has(model);
}

/** @throws HttpError 403 `permission_error` / `model_not_allowed` when the model is not allowed. */
export function assertModelAllowed(policy: Policy, model: string): void {
  if (!modelAllowed(policy, model)) {
    throw new HttpError(403, `This API key is not allowed to use the model \`${model}\`.`, {
      type: 'permission_error',
      param: 'model',
      code: 'model_not_allowed',
    });
  }
}

/**
 * The plan without attempts at models the policy does not allow: a fallback to a denied model
 * is skipped rather than served. The requested model is checked first, so the plan keeps at
 * least its own deployments.
 */
export function allowedPlan(policy: Policy, plan: readonly RouteAttempt[]): RouteAttempt[] {
  return plan.filter((a) => modelAllowed(policy, a.model));
}

/**
 * A chat request with the policy applied (the input is not changed):
 * - `max_tokens` and `max_completion_tokens` above the cap are lowered to it; when neither is
 *   set, `max_completion_tokens` is set to the cap (so the budget estimate uses it too);
 * - a `temperature` above the cap is lowered to it; an absent one is set to the cap when the
 *   cap is below OpenAI's default of 1;
 * - the system prompt goes first, as a system message of its own.
 */
export function applyChatPolicy<R extends ChatRequest>(policy: Policy, request: R): R {
  const out = { ...request };
  const cap = policy.maxTokensCap;
  if (cap !== null) {
    const hasMax = typeof out.max_tokens === 'number';
    const hasMaxCompletion = typeof out.max_completion_tokens === 'number';
    if (hasMax) out.max_tokens = Math.min(out.max_tokens!, cap);
    if (hasMaxCompletion) out.max_completion_tokens = Math.min(out.max_completion_tokens!, cap);
    if (!hasMax && !hasMaxCompletion) out.max_completion_tokens = cap;
  }
  const tempCap = policy.temperatureCap;
  if (tempCap !== null) {
    const temperature = typeof out.temperature === 'number' ? out.temperature : DEFAULT_TEMPERATURE;
    if (temperature > tempCap) out.temperature = tempCap;
  }
  if (policy.systemPrompt !== null) {
    out.messages = [{ role: 'system', content: policy.systemPrompt }, ...request.messages];
  }
  return out;
}
