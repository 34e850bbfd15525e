import { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { FailureType } from '../../../errors/failure-types';
import { classifyAnthropicError, classifyAnthropicStreamError, isPromptTooLong } from '../../../providers/anthropic/error-map';

const body = (type: string, message: string): Record<string, unknown> => ({ type: 'error', error: { type, message } });

describe('classifyAnthropicError', () => {
  it('400 "prompt is too long" → context length, with the upstream message only', () => {
    const err = APIError.generate(400, body('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), undefined, new Headers());
    const classified = classifyAnthropicError(err, 'anthropic');
    expect(classified.failureType).toBe(FailureType.ProviderContextLength);
    expect(classified.message).toBe('prompt is too long: 210000 tokens > 200000 maximum');
    expect(classified.status).toBe(400);
    expect(classified.provider).toBe('anthropic');
  });

  it('other 400s → bad request', () => {
    const err = APIError.generate(400, body('invalid_request_error', 'messages: roles must alternate'), undefined, new Headers());
    expect(classifyAnthropicError(err, 'a').failureType).toBe(FailureType.ProviderBadRequest);
  });

  it('429 → rate limited with retry-after; 529 overloaded → server error', () => {
    const limited = APIError.generate(429, body('rate_limit_error', 'slow down'), undefined, new Headers({ 'retry-after': '12' }));
    expect(classifyAnthropicError(limited, 'a').toDetails()).toMatchObject({
      failureType: FailureType.ProviderRateLimited,
      status: 429,
      retryAfterMs: 12_000,
    });
    const overloaded = APIError.generate(529, body('overloaded_error', 'Overloaded'), undefined, new Headers());
    expect(classifyAnthropicError(overloaded, 'a').failureType).toBe(FailureType.ProviderServerError);
  });

  it.each([
    [401, FailureType.ProviderAuth],
    [403, FailureType.ProviderAuth],
    [404, FailureType.ProviderNotFound],
    [413, FailureType.ProviderBadRequest],
    [500, FailureType.ProviderServerError],
  ])('status %i → %s', (status, expected) => {
    expect(classifyAnthropicError(APIError.generate(status, body('x', 'm'), undefined, new Headers()), 'a').failureType).toBe(expected);
  });

  it('timeouts and connection failures', () => {
    expect(classifyAnthropicError(new APIConnectionTimeoutError(), 'a').failureType).toBe(FailureType.ProviderTimeout);
    expect(classifyAnthropicError(new APIConnectionError({ message: 'Connection error.' }), 'a').failureType).toBe(FailureType.ProviderConnection);
    expect(classifyAnthropicError(new TypeError('terminated'), 'a').failureType).toBe(FailureType.ProviderConnection);
  });

  it('stream error events (no status) by error.type', () => {
    const streamed = new APIError(undefined, body('overloaded_error', 'Overloaded'), undefined, new Headers(), 'overloaded_error');
    const classified = classifyAnthropicError(streamed, 'a');
    expect(classified.failureType).toBe(FailureType.ProviderServerError);
    expect(classified.message).toBe('Overloaded');
    expect(classified.status).toBeUndefined();
  });
});

describe('classifyAnthropicStreamError', () => {
  it.each([
    ['rate_limit_error', FailureType.ProviderRateLimited],
    ['api_error', FailureType.ProviderServerError],
    ['authentication_error', FailureType.ProviderAuth],
    ['invalid_request_error', FailureType.ProviderBadRequest],
    ['timeout_error', FailureType.ProviderTimeout],
    ['something_new', FailureType.ProviderServerError],
  ])('%s → %s', (type, expected) => {
    expect(classifyAnthropicStreamError({ type, message: 'm' }, 'a').failureType).toBe(expected);
  });

  it("drops the wording of an auth error event, which could quote the gateway's key", () => {
    const classified = classifyAnthropicStreamError({ type: 'authentication_error', message: 'invalid x-api-key sk-ant-api03-abcd…wxyz' }, 'a');
    expect(classified.failureType).toBe(FailureType.ProviderAuth);
    expect(classified.message).toBe("the provider refused the gateway's credentials");
  });

  it('invalid_request_error about prompt length → context length', () => {
    expect(classifyAnthropicStreamError({ type: 'invalid_request_error', message: 'prompt is too long' }, 'a').failureType).toBe(
      FailureType.ProviderContextLength,
    );
  });

  it('isPromptTooLong', () => {
    expect(isPromptTooLong('input length and `max_tokens` exceed context limit: 199000 + 8192 > 200000')).toBe(true);
    expect(isPromptTooLong('max_tokens: must be positive')).toBe(false);
  });
});
