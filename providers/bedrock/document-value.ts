import type { ToolUseBlock } from '@aws-sdk/client-bedrock-runtime';

/** Smithy's JSON document type, as the Converse API takes tool inputs and schemas. */
export type DocumentValue = Exclude<ToolUseBlock['input'], undefined>;

/**
 * Copies a JSON-compatible value (parsed tool arguments, a tool's parameter schema) into the
 * document type. Values JSON cannot hold become `null`; `undefined` object members are dropped,
 * as `JSON.stringify` would.
 */
export function toDocument(value: unknown): DocumentValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toDocument);
  if (typeof value === 'object') {
    const out: Record<string, DocumentValue> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = toDocument(member);
    }
    return out;
  }
  return null;
}
