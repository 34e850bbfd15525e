import { maskedKey } from '../fakes/openai-dialect';
import { capturingLogger, waitUntil } from '../support/log-capture';
import { FAKE_UPSTREAM_KEY, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

describe('streaming fast path', () => {
  let gw: TestGateway;
  const logs = capturingLogger();
  beforeAll(async () => {
    gw = await startTestGateway({ logger: logs.logger });
  });
  afterAll(async () => {
    await gw.stop();
  });

  it.each([
    ['gpt-test', 'openai'],
    ['azure-test', 'azure'],
    ['claude-test', 'anthropic'],
    ['bedrock-test', 'bedrock'],
  ])('%s streams chat.completion.chunk events with usage when asked', async (model, provider) => {
    const text = uniqueText(`stream ${provider}`);
    const stream = await gw.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: text }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let finish: string | null = null;
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe('chat.completion.chunk');
      content += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(content).toContain(`Hello from fake ${provider}`);
    expect(finish).toBe('stop');
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    // No workflow: the fast path never touches Temporal.
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('omits the usage chunk when the client did not ask for it, and ends with [DONE]', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-test', stream: true, messages: [{ role: 'user', content: uniqueText('raw sse') }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await res.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as { usage?: unknown; choices: unknown[] });
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
  });

  it.each(['gpt-test', 'claude-test', 'bedrock-test'])('%s streams tool calls as deltas', async (model) => {
    const stream = await gw.openai.chat.completions.create({
      model,
      stream: true,
      messages: [{ role: 'user', content: uniqueText('stream tool', '#tool') }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        args += call.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(finish).toBe('tool_calls');
  });

  it('tries the next deployment when the first fails before the first byte', async () => {
    const text = uniqueText('stream fallback');
    const stream = await gw.openai.chat.completions.create({ model: 'badkey-then-claude', stream: true, messages: [{ role: 'user', content: text }] });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toContain('Hello from fake anthropic');
    expect(gw.fake.requests.filter((r) => r.lastUserText === text).map((r) => r.provider)).toEqual(['openai', 'anthropic']);
  });

  it('answers a JSON error with the upstream status when no deployment can stream', async () => {
    const err = await gw.openai.chat.completions
      .create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('ctx', '#fault=context') }] })
      .catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(400);
    expect((err as { code: string }).code).toBe('context_length_exceeded');
    // The upstream's own words about the client's request are passed on.
    expect((err as Error).message).toContain("upstream oai: This model's maximum context length is 128000 tokens.");
  });

  it("answers an upstream 401 with a 502 naming the provider, never the upstream's message quoting the gateway's key", async () => {
    // The fake answers like OpenAI: "Incorrect API key provided: fake*********-key. …".
    const fragment = maskedKey(FAKE_UPSTREAM_KEY);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('refused', '#fault=401') }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(502);
    expect((JSON.parse(text) as { error: unknown }).error).toEqual({
      message: "upstream oai: the provider refused the gateway's credentials (HTTP 401). The gateway's configuration is at fault, not your API key.",
      type: 'api_error',
      param: null,
      code: 'upstream_auth_error',
    });
    expect(text).not.toContain(fragment);
    expect(text).not.toContain('Incorrect API key');
    // The request's log line (written once the response closes) carries the error type only.
    await waitUntil('the request log line', async () => logs.text().includes('"errorType":"upstream_auth_error"'));
    expect(logs.text()).not.toContain(fragment);
    expect(logs.text()).not.toContain('Incorrect API key');
  });

  it('ends the stream with an error event when the upstream is cut mid-way', async () => {
    for (const model of ['gpt-test', 'claude-test', 'bedrock-test']) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: uniqueText('cut', '#fault=cut') }] }),
      });
      expect(res.status).toBe(200);
      const events = (await res.text()).split('\n\n').filter(Boolean);
      const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error?: { type: string; message: string } };
      expect(last.error).toBeDefined();
      expect(last.error!.type).toBe('api_error');
      expect(events).not.toContain('data: [DONE]');
      expect(events.length).toBeGreaterThan(1);
    }
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const text = uniqueText('disconnect', '#delay=400');
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: text }] }),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await waitFor(() => gw.fake.countFor(text) === 1);
    controller.abort();
    await pending;
    const upstream = gw.fake.requests.find((r) => r.lastUserText === text)!;
    await waitFor(() => upstream.aborted === true);
    expect(upstream.aborted).toBe(true);
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
