import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import {
  failureTypeForStatus,
  messageOf,
  transportFailureType,
  upstreamErrorFromStatus,
  upstreamErrorWithoutStatus,
} from '../../../providers/error-classification';
import { throwIfAborted, toThrowable } from '../../../providers/upstream-failures';

describe('failureTypeForStatus', () => {
  it.each([
    [429, false, FailureType.ProviderRateLimited],
    [503, true, FailureType.ProviderRateLimited],
    [503, false, FailureType.ProviderServerError],
    [500, false, FailureType.ProviderServerError],
    [502, false, FailureType.ProviderServerError],
    [529, false, FailureType.ProviderServerError],
    [409, false, FailureType.ProviderServerError],
    [408, false, FailureType.ProviderTimeout],
    [400, false, FailureType.ProviderBadRequest],
    [413, false, FailureType.ProviderBadRequest],
    [422, false, FailureType.ProviderBadRequest],
    [401, false, FailureType.ProviderAuth],
    [402, false, FailureType.ProviderAuth],
    [403, false, FailureType.ProviderAuth],
    [404, false, FailureType.ProviderNotFound],
    [200, false, FailureType.ProviderBadResponse],
  ])('%i (retry-after: %s) → %s', (status, hasRetryAfter, expected) => {
    expect(failureTypeForStatus(status, hasRetryAfter)).toBe(expected);
  });
});

describe('upstreamErrorFromStatus', () => {
  it('turns a context-length 400 into ProviderContextLength and copies the details', () => {
    const err = upstreamErrorFromStatus({
      provider: 'p1',
      status: 400,
      message: 'too long',
      code: 'context_length_exceeded',
      param: 'messages',
      contextLength: true,
    });
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.toDetails()).toEqual({
      failureType: FailureType.ProviderContextLength,
      status: 400,
      retryAfterMs: undefined,
      provider: 'p1',
      code: 'context_length_exceeded',
      param: 'messages',
    });
    expect(err.message).toBe('too long');
  });

  it("replaces an auth failure's message (it can quote the gateway's key) and keeps its status and code", () => {
    for (const status of [401, 402, 403]) {
      const err = upstreamErrorFromStatus({ provider: 'p', status, message: 'Incorrect API key provided: sk-abc1****wxyz.', code: 'invalid_api_key' });
      expect(err.toDetails()).toMatchObject({ failureType: FailureType.ProviderAuth, status, provider: 'p', code: 'invalid_api_key' });
      expect(err.message).toBe(`the provider refused the gateway's credentials (HTTP ${status})`);
    }
    const streamed = upstreamErrorWithoutStatus(FailureType.ProviderAuth, 'invalid x-api-key sk-abc1****wxyz', 'p');
    expect(streamed.message).toBe("the provider refused the gateway's credentials");
    expect(upstreamErrorWithoutStatus(FailureType.ProviderServerError, 'Overloaded', 'p').message).toBe('Overloaded');
  });

  it('keeps a 5xx a server error even when the message mentions context length', () => {
    const err = upstreamErrorFromStatus({ provider: 'p', status: 500, message: 'x', contextLength: true, retryAfterMs: 1000 });
    expect(err.failureType).toBe(FailureType.ProviderServerError);
    expect(err.retryAfterMs).toBe(1000);
  });
});

describe('transportFailureType', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });

  it('recognises timeouts by name, code and AbortError', () => {
    expect(transportFailureType(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe(FailureType.ProviderTimeout);
    expect(transportFailureType(Object.assign(new Error('x'), { name: 'AbortError' }))).toBe(FailureType.ProviderTimeout);
    expect(transportFailureType(withCode('ETIMEDOUT'))).toBe(FailureType.ProviderTimeout);
    expect(transportFailureType(new TypeError('fetch failed', { cause: withCode('UND_ERR_CONNECT_TIMEOUT') }))).toBe(FailureType.ProviderTimeout);
  });

  it('recognises connection failures through the cause chain', () => {
    expect(transportFailureType(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(FailureType.ProviderConnection);
    expect(transportFailureType(withCode('ECONNRESET'))).toBe(FailureType.ProviderConnection);
    expect(transportFailureType(withCode('ERR_HTTP2_STREAM_ERROR'))).toBe(FailureType.ProviderConnection);
    expect(transportFailureType(new TypeError('terminated'))).toBe(FailureType.ProviderConnection);
  });

  it('maps SyntaxError to bad response and unknown errors to undefined', () => {
    expect(transportFailureType(new SyntaxError('Unexpected token <'))).toBe(FailureType.ProviderBadResponse);
    expect(transportFailureType(new Error('boom'))).toBeUndefined();
    expect(transportFailureType('boom')).toBeUndefined();
  });
});

describe('toThrowable', () => {
  const classify = (): UpstreamError => new UpstreamError('classified', { failureType: FailureType.ProviderServerError });

  it('passes the original error through when the caller aborted', () => {
    const controller = new AbortController();
    controller.abort();
    const original = new Error('Request was aborted.');
    expect(toThrowable(original, controller.signal, classify)).toBe(original);
  });

  it('classifies when the caller did not abort, and keeps UpstreamErrors as they are', () => {
    const signal = new AbortController().signal;
    expect((toThrowable(new Error('x'), signal, classify) as UpstreamError).message).toBe('classified');
    const upstream = new UpstreamError('mine', { failureType: FailureType.ProviderAuth });
    expect(toThrowable(upstream, signal, classify)).toBe(upstream);
  });

  it('throwIfAborted throws the abort reason', () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    controller.abort(reason);
    expect(() => throwIfAborted(controller.signal)).toThrow(reason);
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });
});

describe('messageOf', () => {
  it('uses message fields and never dumps objects', () => {
    expect(messageOf(new Error('m'))).toBe('m');
    expect(messageOf({ message: 'from object' })).toBe('from object');
    expect(messageOf({ prompt: 'secret' })).toBe('unknown upstream error');
  });
});
