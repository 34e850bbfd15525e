import {
  AccessDeniedException,
  InternalServerException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { FailureType } from '../../../errors/failure-types';
import { classifyBedrockError, classifyBedrockStreamException, isInputTooLong } from '../../../providers/bedrock/error-map';

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 });

describe('classifyBedrockError', () => {
  it('ThrottlingException → rate limited, reading Retry-After from $response headers', () => {
    const err = new ThrottlingException({ message: 'Too many requests, please wait before trying again.', $metadata: metadata(429) });
    Object.defineProperty(err, '$response', { value: { statusCode: 429, headers: { 'retry-after': '2' } } });
    expect(classifyBedrockError(err, 'bedrock').toDetails()).toEqual({
      failureType: FailureType.ProviderRateLimited,
      status: 429,
      retryAfterMs: 2000,
      provider: 'bedrock',
      code: 'ThrottlingException',
      param: undefined,
    });
  });

  it('ValidationException → bad request, or context length when the input is too long', () => {
    const bad = new ValidationException({ message: 'Malformed input request: temperature out of range', $metadata: metadata(400) });
    expect(classifyBedrockError(bad, 'b').failureType).toBe(FailureType.ProviderBadRequest);
    const tooLong = new ValidationException({ message: 'Input is too long for requested model.', $metadata: metadata(400) });
    expect(classifyBedrockError(tooLong, 'b').failureType).toBe(FailureType.ProviderContextLength);
    const tooMany = new ValidationException({ message: 'The model returned the following errors: too many input tokens', $metadata: metadata(400) });
    expect(classifyBedrockError(tooMany, 'b').failureType).toBe(FailureType.ProviderContextLength);
  });

  it.each([
    [new AccessDeniedException({ message: 'no access', $metadata: metadata(403) }), FailureType.ProviderAuth],
    [new ResourceNotFoundException({ message: 'no model', $metadata: metadata(404) }), FailureType.ProviderNotFound],
    [new ModelTimeoutException({ message: 'model timed out', $metadata: metadata(408) }), FailureType.ProviderTimeout],
    [new ServiceUnavailableException({ message: 'unavailable', $metadata: metadata(503) }), FailureType.ProviderServerError],
    [new InternalServerException({ message: 'internal', $metadata: metadata(500) }), FailureType.ProviderServerError],
  ])('%s → %s', (err, expected) => {
    expect(classifyBedrockError(err, 'b').failureType).toBe(expected);
    if (expected !== FailureType.ProviderAuth) expect(classifyBedrockError(err, 'b').message).toBe(err.message);
  });

  it("drops AWS's wording of an auth failure (it may name the gateway's access key), keeping the exception name", () => {
    const refused = Object.assign(new Error('The security token included in the request is invalid. AccessKeyId AKIAGATEWAYSECRET1'), {
      name: 'UnrecognizedClientException',
      $fault: 'client',
      $metadata: metadata(403),
    });
    const classified = classifyBedrockError(refused, 'b');
    expect(classified.toDetails()).toMatchObject({ failureType: FailureType.ProviderAuth, status: 403, code: 'UnrecognizedClientException' });
    expect(classified.message).toBe("the provider refused the gateway's credentials (HTTP 403)");
    const streamed = classifyBedrockStreamException('AccessDeniedException', 'denied for AKIAGATEWAYSECRET1', 'b');
    expect(streamed.message).not.toContain('AKIA');
  });

  it('unmodelled service errors fall back to the HTTP status', () => {
    const err = Object.assign(new Error('Bad Gateway'), { name: 'UnknownError', $fault: 'server', $metadata: metadata(502) });
    expect(classifyBedrockError(err, 'b').failureType).toBe(FailureType.ProviderServerError);
  });

  it('a 2xx whose body failed to deserialize → bad response', () => {
    const err = Object.assign(new SyntaxError('Unexpected token < in JSON'), { $metadata: metadata(200) });
    const classified = classifyBedrockError(err, 'b');
    expect(classified.failureType).toBe(FailureType.ProviderBadResponse);
    expect(classified.status).toBeUndefined();
  });

  it('transport errors: TimeoutError → timeout, ECONNREFUSED → connection, missing credentials → auth', () => {
    const timeout = Object.assign(new Error('Stream timed out because of no activity for 100 ms'), { name: 'TimeoutError' });
    expect(classifyBedrockError(timeout, 'b').failureType).toBe(FailureType.ProviderTimeout);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED', $metadata: {} });
    expect(classifyBedrockError(refused, 'b').failureType).toBe(FailureType.ProviderConnection);
    const noCreds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(classifyBedrockError(noCreds, 'b').failureType).toBe(FailureType.ProviderAuth);
    // The SDK's own text, not the upstream's: kept for the operator.
    expect(classifyBedrockError(noCreds, 'b').message).toBe('Could not load credentials from any providers');
  });

  it('isInputTooLong', () => {
    expect(isInputTooLong('prompt is too long: 300000 tokens')).toBe(true);
    expect(isInputTooLong('Malformed input request')).toBe(false);
  });
});
