import type { RetrySettings } from '../config/gateway-config';

/** What the time bounds of a request workflow are derived from. */
export interface DeadlineInputs {
  readonly plan: readonly unknown[];
  readonly retry: RetrySettings;
  readonly attemptTimeoutMs: number;
}

/**
 * Pure arithmetic shared by the workflow (activity timeouts) and the API (the workflow's own
 * timeout), so the two can never disagree. No imports from the Temporal SDK: the API loads it.
 */

/** Bound on one deployment, its retries and the backoff between them. */
export function deploymentBudgetMs(input: DeadlineInputs): number {
  const { maxAttempts, maxIntervalMs } = input.retry;
  return input.attemptTimeoutMs * maxAttempts + maxIntervalMs * (maxAttempts - 1);
}

/** Slack for workflow tasks and scheduling between deployments. */
const WORKFLOW_SLACK_MS = 30_000;

/**
 * The request workflow's execution timeout: every deployment of the plan may use its whole
 * budget, and the workflow must outlive the last one, so a slow fallback chain ends with the last
 * upstream's own failure (a 504 or 502 naming it) rather than a workflow timeout.
 */
export function workflowTimeoutMs(input: DeadlineInputs): number {
  return Math.max(1, input.plan.length) * deploymentBudgetMs(input) + WORKFLOW_SLACK_MS;
}
