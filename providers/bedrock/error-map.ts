import { FailureType } from '../../errors/failure-types';
import { UpstreamError } from '../../errors/upstream-error';
import { failureTypeForStatus, messageOf, safeUpstreamMessage, transportFailureType } from '../error-classification';
import { parseRetryAfterMs, type HeaderSource } from '../retry-after';

/**
 * Failure types by AWS exception / error name. Names are the stable part of Bedrock errors
 * (statuses are shared: ValidationException and ServiceQuotaExceededException are both 400).
 */
const EXCEPTION_FAILURES: Readonly<Record<string, FailureType>> = {
  ThrottlingException: FailureType.ProviderRateLimited,
  ServiceQuotaExceededException: FailureType.ProviderRateLimited,
  TooManyRequestsException: FailureType.ProviderRateLimited,
  ValidationException: FailureType.ProviderBadRequest,
  AccessDeniedException: FailureType.ProviderAuth,
  UnrecognizedClientException: FailureType.ProviderAuth,
  InvalidSignatureException: FailureType.ProviderAuth,
  ExpiredTokenException: FailureType.ProviderAuth,
  CredentialsProviderError: FailureType.ProviderAuth,
  ResourceNotFoundException: FailureType.ProviderNotFound,
  ModelTimeoutException: FailureType.ProviderTimeout,
  TimeoutError: FailureType.ProviderTimeout,
  ServiceUnavailableException: FailureType.ProviderServerError,
  InternalServerException: FailureType.ProviderServerError,
  ModelStreamErrorException: FailureType.ProviderServerError,
  ModelErrorException: FailureType.ProviderServerError,
  ModelNotReadyException: FailureType.ProviderServerError,
};

/** The Smithy fields of an AWS SDK error, all optional: transport errors carry none of them. */
interface AwsErrorFields {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly headers?: HeaderSource };
}

/**
 * Classifies errors from `@aws-sdk/client-bedrock-runtime` into `UpstreamError`: modelled
 * exceptions by name (ValidationException saying the input is too long → context length),
 * other service errors by HTTP status, a 2xx whose body failed to deserialize → bad response,
 * and transport errors (TimeoutError, socket codes) → timeout / connection.
 * The caller's own abort is handled before this is called (see `toThrowable`).
 */
export function classifyBedrockError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const fields: AwsErrorFields = typeof err === 'object' && err !== null ? err : {};
  const name = typeof fields.name === 'string' ? fields.name : undefined;
  // Smithy appends a debugging hint about a hidden `$response` field; clients need not see it.
  const message = messageOf(err).replace(/\n\s*Deserialization error: to see the raw response.*$/s, '');
  const status = fields.$metadata?.httpStatusCode;
  const retryAfterMs = parseRetryAfterMs(fields.$response?.headers);
  const isServiceError = fields.$fault === 'client' || fields.$fault === 'server';

  let failureType = name !== undefined && Object.hasOwn(EXCEPTION_FAILURES, name) ? EXCEPTION_FAILURES[name] : undefined;
  if (failureType === undefined) {
    if (status !== undefined && status >= 200 && status < 300 && !isServiceError) {
      // Smithy attaches the 2xx response's metadata to errors thrown while parsing its body.
      failureType = FailureType.ProviderBadResponse;
    } else if (status !== undefined && status >= 300) {
      failureType = failureTypeForStatus(status, retryAfterMs !== undefined);
    } else {
      failureType = transportFailureType(err) ?? (isServiceError ? FailureType.ProviderServerError : FailureType.ProviderConnection);
    }
  }
  if (failureType === FailureType.ProviderBadRequest && isInputTooLong(message)) failureType = FailureType.ProviderContextLength;
  // As for every provider: a 503 that says when to come back is load shedding, not a fault.
  if (status === 503 && retryAfterMs !== undefined && failureType === FailureType.ProviderServerError) {
    failureType = FailureType.ProviderRateLimited;
  }
  const httpStatus = status !== undefined && status >= 300 ? status : undefined;
  // A missing local credential chain is the SDK's own text; AWS's 403 wording is replaced like any auth failure's.
  return new UpstreamError(name === 'CredentialsProviderError' ? message : safeUpstreamMessage(failureType, message, httpStatus), {
    failureType,
    status: httpStatus,
    retryAfterMs,
    provider,
    code: isServiceError ? name : undefined,
  });
}

/**
 * An exception delivered as a ConverseStream event member (e.g. `throttlingException`)
 * rather than thrown; classified by its exception name.
 */
export function classifyBedrockStreamException(exceptionName: string, message: string | undefined, provider: string): UpstreamError {
  return classifyBedrockError({ name: exceptionName, message: message ?? exceptionName, $fault: 'server' }, provider);
}

/** Bedrock's wordings for prompts over the context window, across model families. */
export function isInputTooLong(message: string): boolean {
  return /input is too long|too many input tokens|prompt is too long|maximum context length|context window|context length/i.test(message);
}
