import { budgetExceededToHttp, failureToHttp, upstreamFailureToHttp } from '../../../api/failure-to-http';
import { jitteredBackoffMs } from '../../../activities/provider-activities';
import { FailureType } from '../../../errors/failure-types';

describe('upstream failure → HTTP', () => {
  it('maps every failure type to an OpenAI error with a status', () => {
    const cases: Array<[FailureType, number, string]> = [
      ['ProviderRateLimited', 429, 'upstream_rate_limited'],
      ['ProviderServerError', 502, 'upstream_error'],
      ['ProviderTimeout', 504, 'upstream_timeout'],
      ['ProviderConnection', 502, 'upstream_unreachable'],
      ['ProviderBadResponse', 502, 'upstream_bad_response'],
      ['ProviderBadRequest', 400, 'upstream_bad_request'],
      ['ProviderContextLength', 400, 'context_length_exceeded'],
      ['ProviderAuth', 502, 'upstream_auth_error'],
      ['ProviderNotFound', 502, 'upstream_not_found'],
      ['ProviderUnsupported', 400, 'unsupported_parameter'],
      ['InvalidRequest', 400, 'invalid_request'],
    ];
    for (const [type, status, code] of cases) {
      const http = upstreamFailureToHttp(type, 'boom', { provider: 'p1' });
      expect({ status: http.status, code: http.code }).toEqual({ status, code });
      // An auth failure never passes the upstream's message on (below).
      if (type !== 'ProviderAuth') expect(http.toBody().error.message).toBe('upstream p1: boom');
    }
    // The circuit and deadline failures are checked below; the two gateway refusals are mapped by failureToHttp (below).
    expect(Object.keys(FailureType)).toHaveLength(cases.length + 4);
  });

  it('maps an open circuit to 503 circuit_open (with Retry-After) and a passed client deadline to 504 request_timeout', () => {
    const open = upstreamFailureToHttp('CircuitOpen', 'the circuit breaker of p1/m is open', { provider: 'p1', retryAfterMs: 2500 });
    expect({ status: open.status, code: open.code, type: open.type, headers: open.headers }).toEqual({
      status: 503,
      code: 'circuit_open',
      type: 'api_error',
      headers: { 'retry-after': '3' },
    });
    const late = failureToHttp('RequestTimeout', 'the request did not finish within its deadline');
    expect({ status: late.status, code: late.code, message: late.toBody().error.message }).toEqual({
      status: 504,
      code: 'request_timeout',
      message: 'the request did not finish within its deadline',
    });
  });

  it('turns Retry-After milliseconds into whole seconds', () => {
    expect(upstreamFailureToHttp('ProviderRateLimited', 'slow down', { retryAfterMs: 1500 }).headers).toEqual({ 'retry-after': '2' });
    expect(upstreamFailureToHttp('ProviderRateLimited', 'slow down', { retryAfterMs: 100 }).headers).toEqual({ 'retry-after': '1' });
  });

  it("never passes an auth failure's message on: it names the provider and status instead", () => {
    const message = 'Incorrect API key provided: sk-abc1*****************wxyz. You can find your API key at https://platform.openai.com.';
    const http = failureToHttp('ProviderAuth', message, { failureType: 'ProviderAuth', provider: 'openai-eu', status: 401, code: 'invalid_api_key' });
    expect(http.toBody().error).toEqual({
      message: "upstream openai-eu: the provider refused the gateway's credentials (HTTP 401). The gateway's configuration is at fault, not your API key.",
      type: 'api_error',
      param: null,
      code: 'upstream_auth_error',
    });
    expect(JSON.stringify(http.toBody())).not.toContain('sk-abc1');
    // Other upstream refusals keep the upstream's words: they are about the client's request.
    const bad = failureToHttp('ProviderContextLength', "This model's maximum context length is 128000 tokens.", { provider: 'openai-eu', status: 400 });
    expect(bad.toBody().error.message).toBe("upstream openai-eu: This model's maximum context length is 128000 tokens.");
  });

  it('keeps an upstream 400 code and param', () => {
    const http = upstreamFailureToHttp('ProviderBadRequest', 'bad', { code: 'invalid_value', param: 'messages' });
    expect(http.toBody().error).toMatchObject({ code: 'invalid_value', param: 'messages', type: 'invalid_request_error' });
  });
});

describe('budget refusals → HTTP', () => {
  const refusal = {
    level: 'team' as const,
    budgetId: 'bud_1',
    period: 'day' as const,
    limitUsd: '5',
    spentUsd: '4.9',
    reservedUsd: '0.05',
    requestedUsd: '0.1',
    resetsAt: '2031-05-11T00:00:00.000Z',
  };

  it('answers 429 budget_exceeded naming the level, limit and reset, with Retry-After until the reset', () => {
    const now = Date.parse('2031-05-10T23:59:00.500Z');
    const http = failureToHttp('BudgetExceeded', 'ignored', refusal, now);
    expect(http.status).toBe(429);
    expect(http.toBody().error).toMatchObject({ type: 'rate_limit_error', code: 'budget_exceeded' });
    expect(http.message).toContain('team budget (day) of 5 USD');
    expect(http.message).toContain('resets at 2031-05-11T00:00:00.000Z');
    expect(http.headers).toEqual({ 'retry-after': '60', 'x-should-retry': 'false' });
  });

  it('sends no Retry-After for a total budget, which never resets', () => {
    const http = budgetExceededToHttp({ ...refusal, level: 'key', period: 'total', resetsAt: null });
    expect(http.headers['retry-after']).toBeUndefined();
    expect(http.message).toContain('does not reset');
  });

  it('answers 400 model_price_unknown naming the models', () => {
    const http = failureToHttp('PriceUnknown', 'ignored', { models: ['my-deployment'] });
    expect({ status: http.status, code: http.code, type: http.type }).toEqual({ status: 400, code: 'model_price_unknown', type: 'invalid_request_error' });
    expect(http.message).toContain('`my-deployment`');
  });
});

describe('jittered backoff', () => {
  const retry = { maxAttempts: 5, initialIntervalMs: 100, backoffCoefficient: 2, maxIntervalMs: 1000 };
  it('grows exponentially, is capped, and spreads by ±50 %', () => {
    expect(jitteredBackoffMs(retry, 1, () => 0.5)).toBe(100);
    expect(jitteredBackoffMs(retry, 3, () => 0.5)).toBe(400);
    expect(jitteredBackoffMs(retry, 9, () => 0.5)).toBe(1000);
    expect(jitteredBackoffMs(retry, 2, () => 0)).toBe(100);
    expect(jitteredBackoffMs(retry, 2, () => 0.999)).toBe(300);
  });
});
