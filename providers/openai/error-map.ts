import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { FailureType } from '../../errors/failure-types';
import { UpstreamError } from '../../errors/upstream-error';
import { messageOf, transportFailureType, upstreamErrorFromStatus, upstreamErrorWithoutStatus } from '../error-classification';
import { parseRetryAfterMs } from '../retry-after';

/**
 * Classifies errors from the `openai` SDK (OpenAI, Azure OpenAI and OpenAI-compatible
 * servers such as vLLM) into `UpstreamError`. The caller's own abort is handled before this is
 * called (see `toThrowable`).
 */
export function classifyOpenAIError(err: unknown, provider: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return upstreamErrorWithoutStatus(FailureType.ProviderTimeout, err.message, provider);
  }
  if (err instanceof APIConnectionError) {
    const failureType = transportFailureType(err.cause) ?? FailureType.ProviderConnection;
    return upstreamErrorWithoutStatus(failureType, err.message, provider);
  }
  if (err instanceof APIError) {
    const message = bodyMessage(err.error) ?? err.message;
    const code = err.code ?? undefined;
    if (err.status !== undefined) {
      return upstreamErrorFromStatus({
        provider,
        status: err.status,
        message,
        retryAfterMs: parseRetryAfterMs(err.headers),
        code,
        param: err.param,
        contextLength: isContextLengthError(code, message),
      });
    }
    // An `error` object inside an SSE stream: no status, only the body's code and type.
    return upstreamErrorWithoutStatus(streamErrorType(code, err.type, message), message, provider, { code });
  }
  return upstreamErrorWithoutStatus(transportFailureType(err) ?? FailureType.ProviderServerError, messageOf(err), provider);
}

/**
 * OpenAI and Azure say `code: context_length_exceeded`; vLLM and other compatible servers
 * only say it in the message ("This model's maximum context length is … tokens").
 */
export function isContextLengthError(code: string | undefined, message: string): boolean {
  return code === 'context_length_exceeded' || /maximum context length|context length exceeded|context_length_exceeded/i.test(message);
}

function streamErrorType(code: string | undefined, type: string | undefined, message: string): FailureType {
  if (isContextLengthError(code, message)) return FailureType.ProviderContextLength;
  if (/rate_limit/.test(`${code ?? ''} ${type ?? ''}`)) return FailureType.ProviderRateLimited;
  if (type === 'invalid_request_error') return FailureType.ProviderBadRequest;
  return FailureType.ProviderServerError;
}

function bodyMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : undefined;
}
