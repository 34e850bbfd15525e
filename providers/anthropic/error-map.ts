import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { FailureType } from '../../errors/failure-types';
import { UpstreamError } from '../../errors/upstream-error';
import { messageOf, transportFailureType, upstreamErrorFromStatus, upstreamErrorWithoutStatus } from '../error-classification';
import { parseRetryAfterMs } from '../retry-after';

/** Anthropic's `error.type` values, for errors that arrive without an HTTP status (stream `error` events). */
const ERROR_TYPE_FAILURES: Readonly<Record<string, FailureType>> = {
  invalid_request_error: FailureType.ProviderBadRequest,
  request_too_large: FailureType.ProviderBadRequest,
  authentication_error: FailureType.ProviderAuth,
  permission_error: FailureType.ProviderAuth,
  billing_error: FailureType.ProviderAuth,
  not_found_error: FailureType.ProviderNotFound,
  rate_limit_error: FailureType.ProviderRateLimited,
  timeout_error: FailureType.ProviderTimeout,
  api_error: FailureType.ProviderServerError,
  overloaded_error: FailureType.ProviderServerError,
};

/**
 * Classifies errors from `@anthropic-ai/sdk` into `UpstreamError`: HTTP errors by status
 * (529 overloaded → server error), 400 "prompt is too long" → context length, SDK timeouts →
 * timeout, connection failures → connection, stream `error` events by their `error.type`.
 * The caller's own abort is handled before this is called (see `toThrowable`).
 */
export function classifyAnthropicError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return upstreamErrorWithoutStatus(FailureType.ProviderTimeout, err.message, provider);
  }
  if (err instanceof APIConnectionError) {
    const failureType = transportFailureType(err.cause) ?? FailureType.ProviderConnection;
    return upstreamErrorWithoutStatus(failureType, err.message, provider);
  }
  if (err instanceof APIError) {
    const message = err.apiMessage ?? err.message;
    if (err.status === undefined) return classifyAnthropicStreamError({ type: err.type, message }, provider);
    return upstreamErrorFromStatus({
      provider,
      status: err.status,
      message,
      retryAfterMs: parseRetryAfterMs(err.headers),
      code: err.errorCode,
      contextLength: isPromptTooLong(message),
    });
  }
  return upstreamErrorWithoutStatus(transportFailureType(err) ?? FailureType.ProviderServerError, messageOf(err), provider);
}

/**
 * An `error` event from the Messages stream (`{"type":"error","error":{"type":…,"message":…}}`),
 * classified by `error.type`; unknown types count as server errors (retryable).
 */
export function classifyAnthropicStreamError(error: { readonly type?: string | null; readonly message?: string | null }, provider: string): UpstreamError {
  const message = error.message || `upstream stream error${error.type ? ` (${error.type})` : ''}`;
  let failureType = error.type && Object.hasOwn(ERROR_TYPE_FAILURES, error.type) ? ERROR_TYPE_FAILURES[error.type] : FailureType.ProviderServerError;
  if (failureType === FailureType.ProviderBadRequest && isPromptTooLong(message)) failureType = FailureType.ProviderContextLength;
  return upstreamErrorWithoutStatus(failureType, message, provider);
}

/** Anthropic's wording for prompts over the context window ("prompt is too long: 210000 tokens > 200000 maximum"). */
export function isPromptTooLong(message: string): boolean {
  return /prompt is too long|exceeds? (?:the )?context (?:limit|window)|context window/i.test(message);
}
