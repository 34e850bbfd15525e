import type { RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { anthropicClient, drain } from './sdk-clients';

const MODEL = 'claude-3-5-haiku-latest';
const WEATHER_TOOL: Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
};

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

describe('Anthropic messages', () => {
  it('answers a JSON Message with usage, counting the system prompt, and a request-id header', async () => {
    const { data: message, response } = await anthropicClient(upstream.url)
      .messages.create({
        model: MODEL,
        max_tokens: 64,
        system: 'You are terse.',
        messages: [{ role: 'user', content: 'Say hi to me' }],
      })
      .withResponse();

    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe(MODEL);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from fake anthropic: Say hi to me' }]);
    expect(message.stop_reason).toBe('end_turn');
    // 3 system + 4 user words + 3; the answer has 8 words.
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 8 });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(upstream.requests[0]).toMatchObject({
      provider: 'anthropic',
      path: '/v1/messages',
      model: MODEL,
      stream: false,
      lastUserText: 'Say hi to me',
    });
    // This SDK major sends the API key as a Bearer token, not as x-api-key.
    expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-ant-test');
  });

  it('reads the last user text from text blocks', async () => {
    const message = await anthropicClient(upstream.url).messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'second turn' }] },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from fake anthropic: second turn' }]);
  });

  it('streams the real event sequence with text deltas and final usage', async () => {
    const stream = await anthropicClient(upstream.url).messages.create({
      model: MODEL,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'stream to me' }],
    });
    const { items, error } = await drain<RawMessageStreamEvent>(stream);

    expect(error).toBeUndefined();
    const types = items.map((event) => event.type);
    // The SDK swallows `ping`; the rest arrive in Anthropic's order.
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = items.flatMap((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? [event.delta.text] : []));
    expect(deltas.length).toBeGreaterThanOrEqual(4);
    expect(deltas.join('')).toBe('Hello from fake anthropic: stream to me');
    const start = items[0];
    if (start.type !== 'message_start') throw new Error('expected message_start');
    expect(start.message.usage.input_tokens).toBe(6);
    const delta = items[items.length - 2];
    if (delta.type !== 'message_delta') throw new Error('expected message_delta');
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBe(7);
  });

  it('answers tool_use on #tool', async () => {
    const message = await anthropicClient(upstream.url).messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Weather? #tool' }],
    });

    expect(message.stop_reason).toBe('tool_use');
    const block = message.content[0];
    if (block.type !== 'tool_use') throw new Error('expected a tool_use block');
    expect(block.id).toMatch(/^toolu_/);
    expect(block.name).toBe('get_weather');
    expect(block.input).toEqual({ city: 'Paris' });
  });

  it('streams tool_use as input_json_delta pieces that the SDK accumulates', async () => {
    const client = anthropicClient(upstream.url);
    const request = {
      model: MODEL,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user' as const, content: '#tool weather' }],
    };
    const { items } = await drain<RawMessageStreamEvent>(await client.messages.create({ ...request, stream: true }));
    const start = items.find((event) => event.type === 'content_block_start');
    if (start?.type !== 'content_block_start') throw new Error('expected content_block_start');
    expect(start.content_block).toMatchObject({ type: 'tool_use', name: 'get_weather', input: {} });
    const pieces = items.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'input_json_delta' ? [event.delta.partial_json] : [],
    );
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(pieces.join(''))).toEqual({ city: 'Paris' });

    const final = await client.messages.stream(request).finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
  });

  it('answers in text after a tool_result, echoing the earlier user text', async () => {
    const message = await anthropicClient(upstream.url).messages.create({
      model: MODEL,
      max_tokens: 64,
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather? #tool' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
      ],
    });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from fake anthropic: Weather? #tool' }]);
  });
});
