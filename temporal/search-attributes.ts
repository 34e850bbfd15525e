import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes ops filter on in the Temporal UI, e.g.
 * `LlmProvider="anthropic" AND ExecutionStatus="Failed"` or `FallbackCount > 0`. LlmProvider is
 * the provider that answered (set at start to the first deployment's, upserted on fallback). Values are plain text in the server: never
 * put prompts, completions or key material here. The server-side registration list is
 * `search-attribute-defs.ts`; names and types must match.
 */
export const SA = {
  Tenant: defineSearchAttributeKey('SwitchyardTenant', SearchAttributeType.KEYWORD),
  KeyId: defineSearchAttributeKey('SwitchyardKeyId', SearchAttributeType.KEYWORD),
  Model: defineSearchAttributeKey('LlmModel', SearchAttributeType.KEYWORD),
  Provider: defineSearchAttributeKey('LlmProvider', SearchAttributeType.KEYWORD),
  RequestKind: defineSearchAttributeKey('RequestKind', SearchAttributeType.KEYWORD),
  FallbackCount: defineSearchAttributeKey('FallbackCount', SearchAttributeType.INT),
  CostUsd: defineSearchAttributeKey('CostUsd', SearchAttributeType.DOUBLE),
} as const;
