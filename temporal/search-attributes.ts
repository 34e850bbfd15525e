import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes ops filter on in the Temporal UI, e.g.
 * `LlmProvider="anthropic" AND RequestOutcome="failed"` or `FallbackCount > 0`. Request
 * workflows get tenant, key id, model, kind and the first deployment's provider at start, and
 * one final upsert in the workflow task that completes them: the outcome, the provider that
 * answered (or the last one tried), the fallback count and the cost. Values are plain text in
 * the server: never put prompts, completions or key material here. The server-side
 * registration list is `search-attribute-defs.ts`; names and types must match.
 */
export const SA = {
  Tenant: defineSearchAttributeKey('SwitchyardTenant', SearchAttributeType.KEYWORD),
  KeyId: defineSearchAttributeKey('SwitchyardKeyId', SearchAttributeType.KEYWORD),
  Model: defineSearchAttributeKey('LlmModel', SearchAttributeType.KEYWORD),
  Provider: defineSearchAttributeKey('LlmProvider', SearchAttributeType.KEYWORD),
  RequestKind: defineSearchAttributeKey('RequestKind', SearchAttributeType.KEYWORD),
  Outcome: defineSearchAttributeKey('RequestOutcome', SearchAttributeType.KEYWORD),
  FallbackCount: defineSearchAttributeKey('FallbackCount', SearchAttributeType.INT),
  CostUsd: defineSearchAttributeKey('CostUsd', SearchAttributeType.DOUBLE),
} as const;

/** Values of `RequestKind`: what a Switchyard workflow does. */
export const RequestKind = {
  Chat: 'chat',
  Embeddings: 'embeddings',
  /** One budget alert's webhook delivery. */
  BudgetAlert: 'budget_alert',
  /** The minutely sweep of expired budget holds. */
  BudgetSweep: 'budget_sweep',
  /** The minutely sweep of alerts whose delivery never started. */
  AlertSweep: 'alert_sweep',
} as const;
export type RequestKind = (typeof RequestKind)[keyof typeof RequestKind];

/**
 * Values of `RequestOutcome`, set when a workflow completes. A workflow the server ended itself
 * (execution timeout, terminate) never gets one: filter those by `ExecutionStatus`.
 */
export const RequestOutcome = {
  Success: 'success',
  /** Every deployment failed (rate limits, 5xx, timeouts, auth, …). */
  Failed: 'failed',
  /** An upstream refused the request itself (400, context length): no deployment would differ. */
  BadRequest: 'bad_request',
  /** A key, team or tenant budget had no room; nothing went upstream. */
  BudgetExceeded: 'budget_exceeded',
  /** A budget applies but a deployment has no price; nothing went upstream. */
  PriceUnknown: 'price_unknown',
  Cancelled: 'cancelled',
  /** Budget alerts: the webhook accepted the alert. */
  Delivered: 'delivered',
  /** Budget alerts: the tenant had no webhook. */
  NoWebhook: 'no_webhook',
} as const;
export type RequestOutcome = (typeof RequestOutcome)[keyof typeof RequestOutcome];
