import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, BadRequestError, RateLimitError } from 'openai';
import { FailureType } from '../../../errors/failure-types';
import { classifyOpenAIError, isContextLengthError } from '../../../providers/openai/error-map';
import { toOpenAIChatParams, toOpenAIEmbeddingParams, toOpenAIStreamParams } from '../../../providers/openai/request-map';
import { checkChatCompletion, checkEmbeddingResponse } from '../../../providers/openai/response-map';
import type { ChatRequest } from '../../../providers/types';

const request: ChatRequest = {
  model: 'gpt-alias',
  messages: [{ role: 'user', content: 'hi' }],
  temperature: 0.2,
  stream: true,
  stream_options: { include_usage: false },
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
};

describe('openai request map', () => {
  it('forwards the request with the upstream model and without stream fields', () => {
    expect(toOpenAIChatParams(request, 'gpt-4o-2024-08-06')).toEqual({
      model: 'gpt-4o-2024-08-06',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
  });

  it('always asks for usage on streams, keeping other stream options', () => {
    const params = toOpenAIStreamParams({ ...request, stream_options: { include_obfuscation: false } }, 'dep-1');
    expect(params.model).toBe('dep-1');
    expect(params.stream).toBe(true);
    expect(params.stream_options).toEqual({ include_obfuscation: false, include_usage: true });
    expect(toOpenAIStreamParams({ model: 'm', messages: [] }, 'd').stream_options).toEqual({ include_usage: true });
  });

  it('does not mutate the incoming request', () => {
    const copy = structuredClone(request);
    toOpenAIChatParams(request, 'x');
    toOpenAIStreamParams(request, 'x');
    expect(request).toEqual(copy);
  });

  it('swaps the embedding model and keeps encoding_format', () => {
    expect(toOpenAIEmbeddingParams({ model: 'alias', input: ['a'], encoding_format: 'base64' }, 'text-embedding-3-small')).toEqual({
      model: 'text-embedding-3-small',
      input: ['a'],
      encoding_format: 'base64',
    });
  });
});

describe('openai response checks', () => {
  it('accepts completions and embedding lists as they are', () => {
    const completion = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [] };
    expect(checkChatCompletion(completion, 'p')).toBe(completion);
    const embeddings = { object: 'list', data: [], model: 'm', usage: { prompt_tokens: 0, total_tokens: 0 } };
    expect(checkEmbeddingResponse(embeddings, 'p')).toBe(embeddings);
  });

  it('rejects a non-JSON 2xx body (returned by the SDK as a string) as a bad response', () => {
    expect(() => checkChatCompletion('<html>oops</html>', 'p')).toThrow(
      expect.objectContaining({ failureType: FailureType.ProviderBadResponse, provider: 'p' }),
    );
    expect(() => checkEmbeddingResponse({ object: 'list' }, 'p')).toThrow(expect.objectContaining({ failureType: FailureType.ProviderBadResponse }));
  });
});

describe('classifyOpenAIError', () => {
  const headers = (init: Record<string, string> = {}): Headers => new Headers(init);

  it('429 → rate limited with Retry-After', () => {
    const err = new RateLimitError(429, { message: 'Rate limit reached', code: 'rate_limit_exceeded' }, undefined, headers({ 'retry-after-ms': '1200' }));
    expect(classifyOpenAIError(err, 'openai').toDetails()).toEqual({
      failureType: FailureType.ProviderRateLimited,
      status: 429,
      retryAfterMs: 1200,
      provider: 'openai',
      code: 'rate_limit_exceeded',
      param: undefined,
    });
  });

  it('uses the body message without the SDK status prefix', () => {
    const err = new BadRequestError(400, { message: 'Invalid value for tools', param: 'tools', code: 'invalid_value' }, undefined, headers());
    const classified = classifyOpenAIError(err, 'openai');
    expect(classified.message).toBe('Invalid value for tools');
    expect(classified.failureType).toBe(FailureType.ProviderBadRequest);
    expect(classified.param).toBe('tools');
    expect(classified.code).toBe('invalid_value');
  });

  it('context_length_exceeded (code or vLLM wording) → context length', () => {
    const byCode = new BadRequestError(400, { message: 'too many tokens', code: 'context_length_exceeded' }, undefined, headers());
    expect(classifyOpenAIError(byCode, 'p').failureType).toBe(FailureType.ProviderContextLength);
    const vllm = APIError.generate(
      400,
      { error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens." } },
      undefined,
      headers(),
    );
    expect(classifyOpenAIError(vllm, 'p').failureType).toBe(FailureType.ProviderContextLength);
    expect(isContextLengthError(undefined, 'bad temperature')).toBe(false);
  });

  it.each([
    [401, FailureType.ProviderAuth],
    [403, FailureType.ProviderAuth],
    [404, FailureType.ProviderNotFound],
    [422, FailureType.ProviderBadRequest],
    [500, FailureType.ProviderServerError],
    [503, FailureType.ProviderServerError],
  ])('status %i → %s', (status, expected) => {
    const err = APIError.generate(status, { error: { message: 'x' } }, undefined, headers());
    expect(classifyOpenAIError(err, 'p').failureType).toBe(expected);
    expect(classifyOpenAIError(err, 'p').status).toBe(status);
  });

  it("replaces a 401's message, which quotes part of the gateway's key, and keeps a 400's", () => {
    const refused = APIError.generate(
      401,
      { error: { message: 'Incorrect API key provided: sk-abc1*****************wxyz. You can find your API key at …', code: 'invalid_api_key' } },
      undefined,
      headers(),
    );
    const auth = classifyOpenAIError(refused, 'p');
    expect(auth.toDetails()).toMatchObject({ failureType: FailureType.ProviderAuth, status: 401, code: 'invalid_api_key' });
    expect(auth.message).toBe("the provider refused the gateway's credentials (HTTP 401)");
    const bad = APIError.generate(400, { error: { message: "Invalid value for 'temperature'." } }, undefined, headers());
    expect(classifyOpenAIError(bad, 'p').message).toBe("Invalid value for 'temperature'.");
  });

  it('503 with Retry-After → rate limited', () => {
    const err = APIError.generate(503, { error: { message: 'busy' } }, undefined, headers({ 'retry-after': '3' }));
    const classified = classifyOpenAIError(err, 'p');
    expect(classified.failureType).toBe(FailureType.ProviderRateLimited);
    expect(classified.retryAfterMs).toBe(3000);
  });

  it('timeouts and connection errors', () => {
    expect(classifyOpenAIError(new APIConnectionTimeoutError(), 'p').failureType).toBe(FailureType.ProviderTimeout);
    const refused = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }) });
    const classified = classifyOpenAIError(refused, 'p');
    expect(classified.failureType).toBe(FailureType.ProviderConnection);
    expect(classified.status).toBeUndefined();
  });

  it('mid-stream error objects (no status) by code and type', () => {
    const serverError = new APIError(undefined, { message: 'The server had an error', type: 'server_error' }, undefined, headers());
    expect(classifyOpenAIError(serverError, 'p').failureType).toBe(FailureType.ProviderServerError);
    const limited = new APIError(undefined, { message: 'slow down', code: 'rate_limit_exceeded' }, undefined, headers());
    expect(classifyOpenAIError(limited, 'p').failureType).toBe(FailureType.ProviderRateLimited);
  });

  it('SyntaxError from a broken body → bad response; unknown errors → server error', () => {
    expect(classifyOpenAIError(new SyntaxError('Unexpected end of JSON input'), 'p').failureType).toBe(FailureType.ProviderBadResponse);
    expect(classifyOpenAIError(new Error('weird'), 'p').failureType).toBe(FailureType.ProviderServerError);
  });

  it('an SDK abort error without a caller abort is still an UpstreamError', () => {
    expect(classifyOpenAIError(new APIUserAbortError(), 'p').provider).toBe('p');
  });
});
