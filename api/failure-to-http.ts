import { ApplicationFailure, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { FailureType, isFailureType } from '../errors/failure-types';
import { UpstreamError, type UpstreamErrorDetails } from '../errors/upstream-error';
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
};

/** Maps an upstream failure (from the fast path or a failed workflow) to an HttpError. */
export function upstreamFailureToHttp(failureType: FailureType, message: string, details?: Partial<UpstreamErrorDetails>): HttpError {
  const m = MAPPING[failureType];
  const headers: Record<string, string> = {};
  if (failureType === FailureType.ProviderRateLimited && details?.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(details.retryAfterMs / 1000)));
  }
  const prefix = details?.provider ? `upstream ${details.provider}: ` : 'upstream: ';
  return new HttpError(m.status, prefix + message, {
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
    const details = (cause.details?.[0] ?? undefined) as Partial<UpstreamErrorDetails> | undefined;
    return upstreamFailureToHttp(cause.type, cause.message, details);
  }
  if (cause instanceof TimeoutFailure) {
    // The workflow's own execution timeout (sized to outlast every deployment's budget, so only
    // a stalled worker or server gets here).
    return new HttpError(504, 'the request did not finish within its deadline', { type: 'api_error', code: 'request_timeout' });
  }
  return new HttpError(500, 'the request workflow failed unexpectedly', { type: 'api_error', code: 'workflow_failed' });
}
