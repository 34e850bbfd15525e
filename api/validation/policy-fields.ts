import { z } from 'zod';
import type { PolicyRules } from '../../db/policies';

const modelList = z.array(z.string().min(1).max(200)).max(1000);

/**
 * The policy fields shared by keys and tenants, for `.extend()`-ing admin schemas. In a
 * patch, an omitted field keeps its value and `null` clears it.
 */
export const policyFields = {
  allowed_models: modelList.nullable().optional(),
  denied_models: modelList.nullable().optional(),
  max_tokens_cap: z.number().int().positive().max(10_000_000).nullable().optional(),
  temperature_cap: z.number().min(0).max(2).nullable().optional(),
  system_prompt: z.string().max(32_000).nullable().optional(),
};

export type PolicyFieldsInput = z.infer<z.ZodObject<typeof policyFields>>;

/** `base` with the fields `input` sets applied (null clears; an empty allowed list allows nothing). */
export function rulesFrom(base: PolicyRules, input: PolicyFieldsInput): PolicyRules {
  return Object.freeze({
    allowedModels: input.allowed_models === undefined ? base.allowedModels : input.allowed_models,
    deniedModels: input.denied_models === undefined ? base.deniedModels : (input.denied_models ?? []),
    maxTokensCap: input.max_tokens_cap === undefined ? base.maxTokensCap : input.max_tokens_cap,
    temperatureCap: input.temperature_cap === undefined ? base.temperatureCap : input.temperature_cap,
    systemPrompt: input.system_prompt === undefined ? base.systemPrompt : input.system_prompt,
  });
}

/** Whether a body sets any policy field. */
export function setsPolicy(input: PolicyFieldsInput): boolean {
  return Object.keys(policyFields).some((k) => input[k as keyof PolicyFieldsInput] !== undefined);
}

/** Rules in the admin API's snake_case shape. */
export function policyBody(p: PolicyRules) {
  return {
    allowed_models: p.allowedModels,
    denied_models: p.deniedModels,
    max_tokens_cap: p.maxTokensCap,
    temperature_cap: p.temperatureCap,
    system_prompt: p.systemPrompt,
  };
}

/** Years 1 to 9999: what a 4-digit ISO 8601 year names, and well inside Postgres' timestamptz range. */
const EARLIEST_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_TIMESTAMP_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Whether `d` is a real date between years 1 and 9999. Unix seconds past ±8.64e12 make an
 * Invalid Date, which would reach Postgres as `0NaN-NaN-…` text (a 500, not a 400).
 */
export function isStorableDate(d: Date): boolean {
  const ms = d.getTime();
  return ms >= EARLIEST_TIMESTAMP_MS && ms <= LATEST_TIMESTAMP_MS;
}

/** Why `isStorableDate` refused a timestamp, as a validation message completes it. */
export const STORABLE_DATE_MESSAGE = 'must be a time between the years 1 and 9999';

/** A timestamp given as an ISO 8601 string or Unix seconds, refused when out of range. */
export const timestampInput = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? new Date(v * 1000) : new Date(v)))
  .refine(isStorableDate, STORABLE_DATE_MESSAGE);

/** Unix seconds, OpenAI's timestamp unit. */
export function unixSeconds(d: Date): number;
export function unixSeconds(d: Date | null): number | null;
export function unixSeconds(d: Date | null): number | null {
  return d === null ? null : Math.floor(d.getTime() / 1000);
}
