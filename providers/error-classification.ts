import { FailureType } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';

/**
 * The provider-independent half of error classification: HTTP status to failure type, and
 * transport errors (timeouts, refused connections, unparsable bodies) recognised by name and
 * code. Each provider's `error-map.ts` extracts status, message and headers from its SDK's
 * errors and delegates here, so the status table lives in one place.
 */

/** Fields a provider classifier extracted from an HTTP error answer. */
export interface HttpFailure {
  /** Provider id from the config, copied onto the error. */
  readonly provider: string;
  readonly status: number;
  /** The upstream's own error message (dropped for auth failures). */
  readonly message: string;
  /** From {@link parseRetryAfterMs}; also turns a 503 into a rate limit. */
  readonly retryAfterMs?: number;
  readonly code?: string | null;
  readonly param?: string | null;
  /** True when the provider's wording says the prompt exceeds the context window. */
  readonly contextLength?: boolean;
}

/**
 * Failure type for an HTTP status:
 * 429 (and 503 with Retry-After) → rate limited; 408 → timeout; 409 and 5xx (incl. 529) →
 * server error (both are retried by openai-node too); 401/402/403 → auth; 404 → not found;
 * any other 4xx → bad request. A 2xx/3xx reaching a classifier means the body was unusable.
 */
export function failureTypeForStatus(status: number, hasRetryAfter = false): FailureType {
  if (status === 429) return FailureType.ProviderRateLimited;
  if (status === 503 && hasRetryAfter) return FailureType.ProviderRateLimited;
  if (status === 408) return FailureType.ProviderTimeout;
  if (status === 409 || status >= 500) return FailureType.ProviderServerError;
  if (status === 401 || status === 402 || status === 403) return FailureType.ProviderAuth;
  if (status === 404) return FailureType.ProviderNotFound;
  if (status >= 400) return FailureType.ProviderBadRequest;
  return FailureType.ProviderBadResponse;
}

/**
 * What an auth failure (`ProviderAuth`: 401, 402, 403) says in place of the upstream's own
 * message. A provider's wording can quote part of the gateway's key (OpenAI: "Incorrect API key
 * provided: sk-abc1*****wxyz"), and an `UpstreamError`'s message travels on to the activity's
 * failure, the worker's log, workflow history and the client; so it is dropped where the error is
 * built. The status stays, and the upstream's `code` (e.g. `invalid_api_key`) stays in the details.
 */
export function credentialsRefusedMessage(status: number | undefined): string {
  return `the provider refused the gateway's credentials${status === undefined ? '' : ` (HTTP ${status})`}`;
}

/** `message`, unless the failure is an auth failure: then {@link credentialsRefusedMessage}. */
export function safeUpstreamMessage(failureType: FailureType, message: string, status: number | undefined): string {
  return failureType === FailureType.ProviderAuth ? credentialsRefusedMessage(status) : message;
}

/**
 * Builds the `UpstreamError` for an HTTP error answer; context-length wins over bad request.
 * An auth failure's message is replaced (see {@link credentialsRefusedMessage}).
 */
export function upstreamErrorFromStatus(failure: HttpFailure): UpstreamError {
  let failureType = failureTypeForStatus(failure.status, failure.retryAfterMs !== undefined);
  if (failureType === FailureType.ProviderBadRequest && failure.contextLength) {
    failureType = FailureType.ProviderContextLength;
  }
  return new UpstreamError(safeUpstreamMessage(failureType, failure.message, failure.status), {
    failureType,
    status: failure.status,
    retryAfterMs: failure.retryAfterMs,
    provider: failure.provider,
    code: failure.code ?? undefined,
    param: failure.param ?? undefined,
  });
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * Failure type of an error that carries no HTTP status, found by walking its `cause` chain:
 * `TimeoutError`, an `AbortError` (callers rule out the caller's own abort first, so an abort
 * here came from an SDK timeout) and timeout codes → timeout; socket error codes, HTTP/2
 * stream errors and undici's `fetch failed` / `terminated` → connection; `SyntaxError` →
 * bad response. `undefined` when nothing matches.
 */
export function transportFailureType(err: unknown): FailureType | undefined {
  const chain: Record<string, unknown>[] = [];
  for (let current: unknown = err; chain.length < 6 && isObject(current); current = current.cause) chain.push(current);
  // Names and codes anywhere in the chain first: undici wraps a connect timeout in a generic "fetch failed".
  for (const link of chain) {
    const name = stringProp(link, 'name');
    const code = stringProp(link, 'code');
    if (name === 'TimeoutError' || name === 'AbortError' || (code !== undefined && TIMEOUT_CODES.has(code))) {
      return FailureType.ProviderTimeout;
    }
    if (code !== undefined && (CONNECTION_CODES.has(code) || code.startsWith('ERR_HTTP2'))) return FailureType.ProviderConnection;
  }
  // By name, not instanceof: undici's fetch and Response.json() can throw from another realm.
  for (const link of chain) {
    const name = stringProp(link, 'name');
    if (name === 'SyntaxError') return FailureType.ProviderBadResponse;
    if (name === 'TypeError' && /fetch failed|terminated|socket|network/i.test(stringProp(link, 'message') ?? '')) {
      return FailureType.ProviderConnection;
    }
  }
  return undefined;
}

/**
 * An `UpstreamError` without HTTP status (timeouts, connection failures, mid-stream errors such
 * as Anthropic's `authentication_error` event, whose message is replaced like a 401's).
 */
export function upstreamErrorWithoutStatus(
  failureType: FailureType,
  message: string,
  provider: string,
  extra: { readonly code?: string | null; readonly retryAfterMs?: number } = {},
): UpstreamError {
  return new UpstreamError(safeUpstreamMessage(failureType, message, undefined), {
    failureType,
    provider,
    code: extra.code ?? undefined,
    retryAfterMs: extra.retryAfterMs,
  });
}

/** `err.message` for errors and error-like objects; never a dump of the object (it may hold request content). */
export function messageOf(err: unknown): string {
  if (typeof err === 'string') return err;
  if (isObject(err) && typeof err.message === 'string' && err.message !== '') return err.message;
  return 'unknown upstream error';
}

function isObject(value: unknown): value is { cause?: unknown } & Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringProp(value: Record<string, unknown>, key: string): string | undefined {
  const prop = value[key];
  return typeof prop === 'string' ? prop : undefined;
}
