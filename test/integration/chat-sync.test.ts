import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { SA } from '../../temporal/search-attributes';
import { maskedKey } from '../fakes/openai-dialect';
import { capturingLogger, waitUntil } from '../support/log-capture';
import { FAKE_UPSTREAM_KEY, installTestRuntime, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';
import { closedWorkflow } from '../support/closed-workflow';

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('durable chat completions through the official openai client', () => {
  let gw: TestGateway;
  const logs = capturingLogger();
  /** The Temporal SDK's own log lines (it logs every failed activity attempt with its error). */
  const sdkLog: string[] = [];
  beforeAll(async () => {
    installTestRuntime(new DefaultLogger('WARN', (entry: LogEntry) => sdkLog.push(`${entry.level} ${entry.message} ${inspect(entry.meta, { depth: 6 })}`)));
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
  ])('%s answers in the OpenAI shape, translated from %s', async (model, provider) => {
    const text = uniqueText(`hello ${provider}`);
    const { data, response } = await gw.openai.chat.completions
      .create({
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: text },
        ],
        max_tokens: 50,
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]!.message.role).toBe('assistant');
    expect(data.choices[0]!.message.content).toContain(`Hello from fake ${provider}`);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    expect(response.headers.get('x-switchyard-model')).toBe(model);
    expect(gw.fake.countFor(text)).toBe(1);
    // The request went to the provider on its own wire format (system prompt translated).
    const upstream = gw.fake.requests.find((r) => r.lastUserText === text)!;
    expect(upstream.provider).toBe(provider);
    expect(upstream.stream).toBe(false);
  });

  it.each(['gpt-test', 'claude-test', 'bedrock-test'])('%s returns tool calls with finish_reason tool_calls', async (model) => {
    const data = await gw.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: uniqueText('weather please', '#tool') }],
      tools: [weatherTool],
      tool_choice: 'auto',
    });
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    expect(call.id).toBeTruthy();
    if (call.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('carries a tool result back to Anthropic as a tool_result block', async () => {
    const text = uniqueText('and now?');
    const data = await gw.openai.chat.completions.create({
      model: 'claude-test',
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '21C and sunny' },
        { role: 'user', content: text },
      ],
      tools: [weatherTool],
    });
    expect(data.choices[0]!.message.content).toContain('Hello from fake anthropic');
    const body = gw.fake.requests.find((r) => r.lastUserText === text)!.body as { messages: Array<{ role: string; content: unknown }> };
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'user'].slice(0, body.messages.length));
    expect(JSON.stringify(body.messages)).toContain('"type":"tool_result"');
    expect(JSON.stringify(body.messages)).toContain('"tool_use_id":"toolu_1"');
  });

  it('sends image parts to every provider', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    for (const model of ['gpt-test', 'claude-test', 'bedrock-test']) {
      const text = uniqueText('what is in this image');
      const data = await gw.openai.chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            ],
          },
        ],
      });
      expect(data.choices[0]!.message.content).toContain('Hello from fake');
      expect(JSON.stringify(gw.fake.requests.find((r) => r.lastUserText === text)!.body)).toContain(model === 'bedrock-test' ? '"image"' : png.slice(0, 20));
    }
  });

  it('runs each request as a workflow chat-<request id> with search attributes', async () => {
    const { response } = await gw.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('visible in temporal') }] })
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    const description = await (await closedWorkflow(gw.gateway.client, `chat-${requestId}`)).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.type).toBe('chatCompletionWorkflow');
    expect(description.typedSearchAttributes.get(SA.Model)).toBe('gpt-test');
    expect(description.typedSearchAttributes.get(SA.Provider)).toBe('oai');
    expect(description.typedSearchAttributes.get(SA.KeyId)).toBe(gw.keyId);
    expect(description.typedSearchAttributes.get(SA.RequestKind)).toBe('chat');
    expect(description.typedSearchAttributes.get(SA.FallbackCount)).toBe(0);
  });

  it('forwards sampling parameters to OpenAI unchanged', async () => {
    const text = uniqueText('params');
    await gw.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: text }],
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      max_completion_tokens: 77,
      seed: 42,
      user: 'user-1',
      n: 2,
      response_format: { type: 'json_object' },
    });
    const body = gw.fake.requests.find((r) => r.lastUserText === text)!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      max_completion_tokens: 77,
      seed: 42,
      user: 'user-1',
      n: 2,
    });
    expect(body.stream).toBeUndefined();
  });

  it('maps max_tokens and stop onto Anthropic and Bedrock (Anthropic API 2026-10-21 has no sampling parameters)', async () => {
    const a = uniqueText('anthropic params');
    await gw.openai.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: a }], max_tokens: 33, temperature: 0.5, stop: 'STOP' });
    const anthropicBody = gw.fake.requests.find((r) => r.lastUserText === a)!.body as Record<string, unknown>;
    expect(anthropicBody).toMatchObject({ max_tokens: 33, stop_sequences: ['STOP'] });
    expect(anthropicBody.temperature).toBeUndefined();
    const b = uniqueText('bedrock params');
    await gw.openai.chat.completions.create({ model: 'bedrock-test', messages: [{ role: 'user', content: b }], max_tokens: 44, top_p: 0.7 });
    expect(gw.fake.requests.find((r) => r.lastUserText === b)!.body).toMatchObject({ inferenceConfig: { maxTokens: 44, topP: 0.7 } });
  });

  it("answers an upstream 401 with a 502 naming the provider, never the upstream's message quoting the gateway's key", async () => {
    // The fake answers like OpenAI: "Incorrect API key provided: fake*********-key. …".
    const fragment = maskedKey(FAKE_UPSTREAM_KEY);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('refused', '#fault=401') }] }),
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
    // Nor in the logs: the gateway's (pino) and the worker's, which logs each failed attempt.
    await waitUntil('the request log line', async () => logs.text().includes('"errorType":"upstream_auth_error"'));
    expect(sdkLog.some((line) => line.includes('Activity failed'))).toBe(true);
    for (const log of [logs.text(), sdkLog.join('\n')]) {
      expect(log).not.toContain(fragment);
      expect(log).not.toContain('Incorrect API key');
    }
  });

  it("passes an upstream 400's own message on, as before", async () => {
    const err = await gw.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('too long', '#fault=context') }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'context_length_exceeded', param: 'messages' });
    expect((err as Error).message).toContain("upstream oai: This model's maximum context length is 128000 tokens.");
  });

  it('refuses n > 1 on Anthropic with a clear 400', async () => {
    const err = await gw.openai.chat.completions
      .create({ model: 'claude-test', messages: [{ role: 'user', content: uniqueText('many') }], n: 3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { status: number }).status).toBe(400);
    expect((err as { param: string }).param).toBe('n');
  });
});
