import { localActivityMarkers } from '../support/local-activity-markers';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';
import { closedWorkflow } from '../support/closed-workflow';

/** Status and OpenAI error fields of a failed call made with the official client. */
async function failure(promise: Promise<unknown>): Promise<{ status: number; code: string | null; type: string; message: string; headers: Headers }> {
  const err = (await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  )) as { status: number; code: string | null; type: string; message: string; headers: Headers };
  return err;
}

describe('retries, fallback and upstream errors on the durable path', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  const ask = (model: string, content: string) => gw.openai.chat.completions.create({ model, messages: [{ role: 'user', content }] });

  it.each(['gpt-test', 'claude-test', 'bedrock-test'])('%s: retries a 429 honouring Retry-After, then succeeds', async (model) => {
    const text = uniqueText('rate limited', '#fault=429x2@0.3');
    const started = Date.now();
    const data = await ask(model, text);
    expect(data.choices[0]!.message.content).toContain('Hello from fake');
    expect(gw.fake.countFor(text)).toBe(3);
    // Two waits of Retry-After 0.3 s each, not the 50 ms policy interval.
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('retries a 500 then succeeds', async () => {
    const text = uniqueText('flaky', '#fault=500x1');
    await ask('claude-test', text);
    expect(gw.fake.countFor(text)).toBe(2);
  });

  it('gives up after max attempts on persistent 500s and returns a 502 in OpenAI form', async () => {
    const text = uniqueText('down', '#fault=500x99');
    const err = await failure(ask('gpt-test', text));
    expect(err.status).toBe(502);
    expect(err.code).toBe('upstream_error');
    expect(err.type).toBe('api_error');
    expect(gw.fake.countFor(text)).toBe(3);
  });

  it.each([
    ['#fault=400', 400, 'upstream_bad_request'],
    ['#fault=context', 400, 'context_length_exceeded'],
  ])('does not retry %s and surfaces it as %i', async (directive, status, code) => {
    const text = uniqueText('non retryable', directive);
    const err = await failure(ask('claude-test', text));
    expect(err.status).toBe(status);
    expect(err.code).toBe(code);
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('returns 429 with Retry-After when the upstream keeps rate limiting', async () => {
    const text = uniqueText('always limited', '#fault=429x99@0.1');
    const err = await failure(ask('gpt-test', text));
    expect(err.status).toBe(429);
    expect(err.code).toBe('upstream_rate_limited');
    expect(err.headers.get('retry-after')).toBe('1');
    expect(gw.fake.countFor(text)).toBe(3);
  });

  it('falls back to the next model when a deployment refuses its credentials (no retry on 401)', async () => {
    const text = uniqueText('fallback');
    const { data, response } = await gw.openai.chat.completions
      .create({ model: 'badkey-then-claude', messages: [{ role: 'user', content: text }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toContain('Hello from fake anthropic');
    expect(response.headers.get('x-switchyard-provider')).toBe('ant');
    expect(response.headers.get('x-switchyard-model')).toBe('claude-test');
    expect(response.headers.get('x-switchyard-fallbacks')).toBe('1');
    expect(gw.fake.requests.filter((r) => r.lastUserText === text).map((r) => r.provider)).toEqual(['openai', 'anthropic']);
  });

  it('moves past a provider without a key to the next deployment', async () => {
    const text = uniqueText('no key');
    const { response } = await gw.openai.chat.completions.create({ model: 'nokey-then-bedrock', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('bed');
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('times out a hanging upstream, retries, and answers 504', async () => {
    const text = uniqueText('hang', '#fault=hang');
    const err = await failure(ask('slow-test', text));
    expect(err.status).toBe(504);
    expect(err.code).toBe('upstream_timeout');
    expect(gw.fake.countFor(text)).toBe(3);
  });

  it.each(['gpt-test', 'claude-test', 'bedrock-test'])('%s: a malformed upstream body becomes a 502 after retries', async (model) => {
    const text = uniqueText('garbage', '#fault=malformed');
    const err = await failure(ask(model, text));
    expect(err.status).toBe(502);
    expect(err.code).toBe('upstream_bad_response');
    expect(gw.fake.countFor(text)).toBe(3);
  });

  it('records the attempt count of the deployment in the workflow history (local attempts: the marker)', async () => {
    const text = uniqueText('history', '#fault=500x2');
    const { response } = await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }).withResponse();
    const handle = await closedWorkflow(gw.gateway.client, `chat-${response.headers.get('x-request-id')}`);
    const history = await handle.fetchHistory();
    expect(localActivityMarkers(history.events ?? [])).toEqual([{ activityType: 'callChatAndSettle', attempt: 3, failed: false }]);
    // Regular attempts (`durable.attempts: activity`) show the last failure too: temporal-visibility.test.ts.
  });
});
