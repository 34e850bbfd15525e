import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/**
 * Load balancing strategies, per-deployment timeouts and the client deadline header, through
 * one gateway against two fakes: `fast` and `slow` (every answer 120 ms late).
 */
interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  readonly ms: number;
}

describe('load balancing, timeouts and deadlines', () => {
  let gw: TestGateway;
  let fast: FakeUpstream;
  let slow: FakeUpstream;

  beforeAll(async () => {
    [fast, slow] = await Promise.all([startFakeUpstream(), startFakeUpstream({ delayMs: 120 })]);
    gw = await startTestGateway({
      configOverrides: {
        providers: {
          fast: { type: 'openai', base_url: `${fast.url}/v1`, api_key_env: 'FAKE_KEY' },
          slow: { type: 'openai', base_url: `${slow.url}/v1`, api_key_env: 'FAKE_KEY' },
          bed: { type: 'bedrock', base_url: fast.url, region: 'us-east-1' },
          ant: { type: 'anthropic', base_url: fast.url, api_key_env: 'FAKE_KEY' },
        },
        models: {
          'lb-weighted': {
            deployments: [
              { provider: 'fast', model: 'w-a', weight: 1 },
              { provider: 'fast', model: 'w-b', weight: 3 },
            ],
          },
          'lb-rr': {
            strategy: 'round_robin',
            deployments: [
              { provider: 'fast', model: 'rr-a' },
              { provider: 'fast', model: 'rr-b' },
              { provider: 'fast', model: 'rr-c' },
            ],
          },
          'lb-latency': {
            strategy: 'lowest_latency',
            deployments: [
              { provider: 'slow', model: 'lat' },
              { provider: 'fast', model: 'lat' },
            ],
          },
          'to-first-byte': { deployments: [{ provider: 'fast', model: 'to-fb', timeouts: { first_byte_ms: 300 } }] },
          'to-bedrock': { deployments: [{ provider: 'bed', model: 'anthropic.claude-3-haiku-20240307-v1:0', timeouts: { first_byte_ms: 300 } }] },
          'to-anthropic': { deployments: [{ provider: 'ant', model: 'claude-3-5-haiku-latest', timeouts: { first_byte_ms: 300 } }] },
          'to-total': { deployments: [{ provider: 'fast', model: 'to-total', timeouts: { total_ms: 600 } }] },
          dl: { deployments: [{ provider: 'fast', model: 'dl' }] },
        },
        retry: { max_attempts: 4, initial_interval_ms: 150, backoff_coefficient: 2, max_interval_ms: 1_000 },
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fast?.close(), slow?.close()]);
  });

  const chat = async (model: string, opts: { stream?: boolean; text?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const started = Date.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: opts.text ?? uniqueText('lb') }], stream: opts.stream === true }),
    });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body, ms: Date.now() - started };
  };

  const servedModels = (fake: FakeUpstream, prefix: string) => fake.requests.filter((r) => r.model.startsWith(prefix)).map((r) => r.model);

  it('weighted: 300 requests split about 1:3', async () => {
    const total = 300;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        next += 1;
        expect((await chat('lb-weighted', { stream: true })).status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const served = servedModels(fast, 'w-');
    expect(served).toHaveLength(total);
    const shareB = served.filter((m) => m === 'w-b').length / total;
    // Binomial(300, 0.75): σ = 2.5 %; ± 9 % is 3.6σ (the seeded unit test checks ± 3 % over 1,000 picks).
    expect(Math.abs(shareB - 0.75)).toBeLessThan(0.09);
  });

  it('round robin: the first pick rotates through the deployments', async () => {
    for (let i = 0; i < 6; i++) expect((await chat('lb-rr', { stream: true })).status).toBe(200);
    expect(servedModels(fast, 'rr-')).toEqual(['rr-a', 'rr-b', 'rr-c', 'rr-a', 'rr-b', 'rr-c']);
  });

  it('lowest latency: the slow deployment loses the traffic once measured', async () => {
    for (let i = 0; i < 30; i++) expect((await chat('lb-latency', { stream: true, text: uniqueText('latency') })).status).toBe(200);
    const toSlow = slow.requests.filter((r) => r.model === 'lat').length;
    const toFast = fast.requests.filter((r) => r.model === 'lat').length;
    expect(toSlow + toFast).toBe(30);
    // At most the first measurement or two went to the slow one.
    expect(toSlow).toBeLessThanOrEqual(2);
  });

  it("a deployment's first-byte timeout replaces the provider's, on both paths", async () => {
    const streamed = await chat('to-first-byte', { stream: true, text: uniqueText('fb', '#delay=3000') });
    expect(streamed.status).toBe(504);
    expect(JSON.parse(streamed.body).error).toMatchObject({ code: 'upstream_timeout' });
    expect(streamed.ms).toBeLessThan(1_500);

    for (const model of ['to-bedrock', 'to-anthropic']) {
      const other = await chat(model, { stream: true, text: uniqueText(model, '#delay=3000') });
      expect({ model, status: other.status, code: JSON.parse(other.body).error?.code as unknown }).toEqual({ model, status: 504, code: 'upstream_timeout' });
      expect(other.ms).toBeLessThan(1_500);
    }

    const text = uniqueText('fb durable', '#delay=3000');
    const durable = await chat('to-first-byte', { text });
    expect(durable.status).toBe(504);
    expect(fast.countFor(text)).toBe(4);
    // Four attempts of 300 ms plus backoff, far below the provider's 60 s.
    expect(durable.ms).toBeLessThan(10_000);
  });

  it("a deployment's total timeout ends a stream that stalls after its first chunks", async () => {
    const res = await chat('to-total', { stream: true, text: uniqueText('stall', '#fault=stall') });
    expect(res.status).toBe(200);
    expect(res.body).toContain('"upstream_timeout"');
    expect(res.body).not.toContain('[DONE]');
    expect(res.ms).toBeGreaterThanOrEqual(550);
    expect(res.ms).toBeLessThan(3_000);
  });

  it('x-switchyard-timeout-ms stops retries when it passes (504 request_timeout), durable and fast path', async () => {
    const text = uniqueText('deadline', '#fault=500');
    const durable = await chat('dl', { text, headers: { 'x-switchyard-timeout-ms': '400' } });
    expect(durable.status).toBe(504);
    expect(JSON.parse(durable.body).error).toMatchObject({ type: 'api_error', code: 'request_timeout' });
    // Without the deadline this request makes 4 calls (max_attempts); the deadline stopped them.
    expect(fast.countFor(text)).toBeGreaterThanOrEqual(1);
    expect(fast.countFor(text)).toBeLessThan(4);
    expect(durable.ms).toBeLessThan(5_000);

    const streamed = await chat('dl', { stream: true, text: uniqueText('deadline stream', '#delay=2000'), headers: { 'x-switchyard-timeout-ms': '300' } });
    expect(streamed.status).toBe(504);
    expect(JSON.parse(streamed.body).error).toMatchObject({ code: 'request_timeout' });
    expect(streamed.ms).toBeLessThan(1_500);

    expect((await chat('dl', { headers: { 'x-switchyard-timeout-ms': '5000' } })).status).toBe(200);
  });

  it.each(['abc', '0', '-5', '1.5', '3600001', ''])('x-switchyard-timeout-ms %j is a 400', async (value) => {
    const res = await chat('dl', { headers: { 'x-switchyard-timeout-ms': value } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({
      error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_value', param: 'x-switchyard-timeout-ms' }),
    });
  });
});
