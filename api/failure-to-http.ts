import { ApplicationFailure, TimeoutFailure, type WorkflowFailedError } from '@temporalio/client';
import { FailureType, isFailureType } from '../errors/failure-types';
import { type UpstreamError, type UpstreamErrorDetails } from '../errors/upstream-error';
import type { BudgetRefusal } from '../db/ledger/types';
import { credentialsRefusedMessage } from '../providers/error-classification';
import { HttpError } from './http-error';

interface Mapping {
  readonly status: number;
  readonly type: string;
  readonly code: string;
}

/**
 * Upstream failure types to what the client sees. Failures that are the gateway's own
 * configuration (upstream auth, unknown upstream model) are 502s, not 401/404: the client's
 * key and model were fine, and an SDK seeing 401 would blame the wrong key.
 */
const MAPPING: Record<FailureType, Mapping> = {
  ProviderRateLimited: { status: 429, type: 'rate_limit_error', code: 'upstream_rate_limited' },
  ProviderServerError: { status: 502, type: 'api_error', code: 'upstream_error' },
  ProviderTimeout: { status: 504, type: 'api_error', code: 'upstream_timeout' },
  ProviderConnection: { status: 502, type: 'api_error', code: 'upstream_unreachable' },
  ProviderBadResponse: { status: 502, type: 'api_error', code: 'upstream_bad_response' },
  ProviderBadRequest: { status: 400, type: 'invalid_request_error', code: 'upstream_bad_request' },
  ProviderContextLength: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
  ProviderAuth: { status: 502, type: 'api_error', code: 'upstream_auth_error' },
  ProviderNotFound: { status: 502, type: 'api_error', code: 'upstream_not_found' },
  ProviderUnsupported: { status: 400, type: 'invalid_request_error', code: 'unsupported_parameter' },
  InvalidRequest: { status: 400, type: 'invalid_request_error', code: 'invalid_request' },
  // The gateway's own refusals: nothing was called upstream. A budget is a quota, so 429 as
  // OpenAI answers a spent quota, under our own code so clients can tell it from rate limits.
  BudgetExceeded: { status: 429, type: 'rate_limit_error', code: 'budget_exceeded' },
  PriceUnknown: { status: 400, type: 'invalid_request_error', code: 'model_price_unknown' },
  // Every deployment tried was skipped by its circuit breaker: nothing was sent upstream.
  CircuitOpen: { status: 503, type: 'api_error', code: 'circuit_open' },
  // The client's own deadline (x-switchyard-timeout-ms) passed.
  RequestTimeout: { status: 504, type: 'api_error', code: 'request_timeout' },
};

/** Details of a `PriceUnknown` failure. */
export interface PriceUnknownDetails {
  /** Upstream model ids of the plan that have no current price. */
  readonly models: readonly string[];
}

/**
 * Any failure type to an HttpError: the gateway's budget refusals get their own messages,
 * everything else is an upstream failure. `details` is the failure's first detail.
 */
export function failureToHttp(failureType: FailureType, message: string, details?: unknown, now: number = Date.now()): HttpError {
  if (failureType === FailureType.BudgetExceeded && isRefusal(details)) return budgetExceededToHttp(details, now);
  if (failureType === FailureType.PriceUnknown && isPriceUnknown(details)) return priceUnknownToHttp(details);
  return upstreamFailureToHttp(failureType, message, details as Partial<UpstreamErrorDetails> | undefined);
}

/**
 * 429 `budget_exceeded` naming the level, its limit and when it resets, with `Retry-After`
 * (seconds until the reset) when the period resets at all. `x-should-retry: false` stops the
 * OpenAI SDKs' automatic retries, which would otherwise hammer a budget that is spent for hours.
 */
export function budgetExceededToHttp(refusal: BudgetRefusal, now: number = Date.now()): HttpError {
  const headers: Record<string, string> = { 'x-should-retry': 'false' };
  const resets = refusal.resetsAt ? `It resets at ${refusal.resetsAt}.` : 'It is a total budget and does not reset; ask an administrator to raise it.';
  if (refusal.resetsAt) headers['retry-after'] = String(Math.max(1, Math.ceil((Date.parse(refusal.resetsAt) - now) / 1000)));
  const m = MAPPING.BudgetExceeded;
  return new HttpError(
    m.status,
    `Budget exceeded: the ${refusal.level} budget (${refusal.period}) of ${refusal.limitUsd} USD has ${refusal.spentUsd} USD spent and ` +
      `${refusal.reservedUsd} USD reserved; this request needs up to ${refusal.requestedUsd} USD. ${resets}`,
    { type: m.type, code: m.code, headers },
  );
}

/** 400 `model_price_unknown`: a budgeted caller asked for a model the gateway cannot price. */
export function priceUnknownToHttp(details: PriceUnknownDetails): HttpError {
  const m = MAPPING.PriceUnknown;
  return new HttpError(
    m.status,
    `No price is known for upstream model ${details.models.map((x) => `\`${x}\``).join(', ')}, and a budget applies to this key: ` +
      'the request is refused rather than charged zero. An administrator can set the price with PUT /admin/prices/{model}.',
    { type: m.type, code: m.code, param: 'model' },
  );
}

function isRefusal(value: unknown): value is BudgetRefusal {
  return typeof value === 'object' && value !== null && 'level' in value && 'limitUsd' in value;
}

function isPriceUnknown(value: unknown): value is PriceUnknownDetails {
  return typeof value === 'object' && value !== null && 'models' in value && Array.isArray(value.models);
}

/**
 * Maps an upstream failure (from the fast path or a failed workflow) to an HttpError. The
 * upstream's message is passed on, except for an auth failure: its wording can quote part of the
 * gateway's own key, so the client is told only which provider refused the gateway's credentials
 * and with which status, built from the structured details whatever `message` says.
 */
export function upstreamFailureToHttp(failureType: FailureType, message: string, details?: Partial<UpstreamErrorDetails>): HttpError {
  const m = MAPPING[failureType];
  const headers: Record<string, string> = {};
  if ((failureType === FailureType.ProviderRateLimited || failureType === FailureType.CircuitOpen) && details?.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(details.retryAfterMs / 1000)));
  }
  const prefix = failureType === FailureType.RequestTimeout ? '' : details?.provider ? `upstream ${details.provider}: ` : 'upstream: ';
  const text =
    failureType === FailureType.ProviderAuth
      ? `${credentialsRefusedMessage(details?.status)}. The gateway's configuration is at fault, not your API key.`
      : message;
  return new HttpError(m.status, prefix + text, {
    type: m.type,
    code: failureType === FailureType.ProviderBadRequest && details?.code ? details.code : m.code,
    param: details?.param ?? null,
    headers,
  });
}

/** An UpstreamError thrown on the fast path. */
export function upstreamErrorToHttp(err: UpstreamError): HttpError {
  return upstreamFailureToHttp(err.failureType, err.message, err.toDetails());
}

/**
 * A workflow that failed: its cause is the ApplicationFailure runPlan threw, carrying the last
 * upstream failure's type and details; a timed-out workflow is a 504. Anything else is a gateway
 * fault (500).
 */
export function workflowFailureToHttp(err: WorkflowFailedError): HttpError {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && isFailureType(cause.type)) {
    return failureToHttp(cause.type, cause.message, cause.details?.[0] ?? undefined);
  }
  if (cause instanceof TimeoutFailure) {
    // The workflow's own execution timeout (sized to outlast every deployment's budget, so only
    // a stalled worker or server gets here).
    return new HttpError(504, 'the request did not finish within its deadline', { type: 'api_error', code: 'request_timeout' });
  }
  return new HttpError(500, 'the request workflow failed unexpectedly', { type: 'api_error', code: 'workflow_failed' });
}
