import type { ChatCompletionChunk, ChatCompletionTool } from 'openai/resources/chat/completions';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { AZURE_API_VERSION, azureClient, drain, openAiClient } from './sdk-clients';

const WEATHER_TOOL: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

describe('OpenAI chat completions', () => {
  it('answers JSON with deterministic text and usage, and records the request', async () => {
    const completion = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the capital of France, please?' },
      ],
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0].message.content).toBe('Hello from fake openai: What is the capital of France, please?');
    expect(completion.choices[0].finish_reason).toBe('stop');
    // 2 system + 7 user words + 3; the answer has 11 words.
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 11, total_tokens: 23 });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({
      provider: 'openai',
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      stream: false,
      lastUserText: 'What is the capital of France, please?',
    });
    expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-test');
  });

  it('cuts the echoed user text at 40 characters', async () => {
    const text = 'a'.repeat(50);
    const completion = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: text }],
    });
    expect(completion.choices[0].message.content).toBe(`Hello from fake openai: ${'a'.repeat(40)}`);
  });

  it('streams word chunks, a finish chunk, a usage chunk and [DONE] with include_usage', async () => {
    const stream = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream this please' }],
    });
    const { items, error } = await drain<ChatCompletionChunk>(stream);

    expect(error).toBeUndefined();
    const pieces = items.flatMap((chunk) => (chunk.choices[0]?.delta.content ? [chunk.choices[0].delta.content] : []));
    expect(pieces.length).toBeGreaterThanOrEqual(4);
    expect(pieces.join('')).toBe('Hello from fake openai: stream this please');
    expect(items[0].choices[0].delta.role).toBe('assistant');
    const finish = items.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe('stop');
    const last = items[items.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 7, total_tokens: 13 });
    expect(upstream.requests[0].stream).toBe(true);
  });

  it('sends no usage chunk without include_usage', async () => {
    const stream = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'no usage' }],
    });
    const { items } = await drain<ChatCompletionChunk>(stream);
    expect(items.every((chunk) => chunk.usage === undefined && chunk.choices.length === 1)).toBe(true);
  });

  it('calls the first tool on #tool', async () => {
    const completion = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'Weather in Paris? #tool' }],
    });
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(completion.usage?.completion_tokens).toBe(2);
  });

  it('streams the tool call as argument deltas that the SDK accumulates', async () => {
    const client = openAiClient(upstream.url);
    const request = {
      model: 'gpt-4o',
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user' as const, content: '#tool weather' }],
    };
    const raw = await drain<ChatCompletionChunk>(await client.chat.completions.create({ ...request, stream: true }));
    const argumentDeltas = raw.items.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls?.map((call) => call.function?.arguments ?? '') ?? []);
    expect(argumentDeltas.filter((piece) => piece.length > 0).length).toBeGreaterThanOrEqual(2);

    const final = await client.chat.completions.stream(request).finalChatCompletion();
    const call = final.choices[0].message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers in text once the conversation ends with the tool result', async () => {
    const completion = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'Weather? #tool' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.choices[0].message.content).toBe('Hello from fake openai: Weather? #tool');
  });

  it('ignores #tool when the request declares no tools', async () => {
    const completion = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: '#tool' }],
    });
    expect(completion.choices[0].message.tool_calls).toBeUndefined();
    expect(completion.choices[0].message.content).toBe('Hello from fake openai: #tool');
  });
});

describe('OpenAI embeddings', () => {
  it('returns deterministic unit vectors, decoded by the SDK from its default base64', async () => {
    const client = openAiClient(upstream.url);
    const first = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'] });
    const again = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha beta',
      encoding_format: 'float',
    });

    expect(first.data.map((item) => item.index)).toEqual([0, 1]);
    expect(first.data[0].embedding).toHaveLength(8);
    expect(Math.hypot(...first.data[0].embedding)).toBeCloseTo(1, 5);
    expect(first.data[0].embedding).toEqual(again.data[0].embedding);
    expect(first.data[0].embedding).not.toEqual(first.data[1].embedding);
    expect(first.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(upstream.requests[0]).toMatchObject({ provider: 'openai', path: '/v1/embeddings', lastUserText: 'gamma' });
  });

  it('honours dimensions', async () => {
    const result = await openAiClient(upstream.url).embeddings.create({
      model: 'text-embedding-3-small',
      input: 'x',
      dimensions: 32,
    });
    expect(result.data[0].embedding).toHaveLength(32);
  });
});

describe('Azure OpenAI', () => {
  it('serves chat on the deployment path with the api-key header', async () => {
    const completion = await azureClient(upstream.url, 'my-gpt4o').chat.completions.create({
      model: 'ignored',
      messages: [{ role: 'user', content: 'hello azure' }],
    });

    expect(completion.choices[0].message.content).toBe('Hello from fake azure: hello azure');
    expect(completion.model).toBe('my-gpt4o');
    const recorded = upstream.requests[0];
    expect(recorded).toMatchObject({
      provider: 'azure',
      path: '/openai/deployments/my-gpt4o/chat/completions',
      model: 'my-gpt4o',
    });
    expect(recorded.headers['api-key']).toBe('azure-key');
    expect(recorded.url).toBe(`/openai/deployments/my-gpt4o/chat/completions?api-version=${AZURE_API_VERSION}`);
  });

  it('streams chat and serves embeddings on the deployment path', async () => {
    const client = azureClient(upstream.url, 'emb-deploy');
    const stream = await client.chat.completions.create({
      model: 'x',
      stream: true,
      messages: [{ role: 'user', content: 'azure stream' }],
    });
    const { items } = await drain<ChatCompletionChunk>(stream);
    expect(items.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fake azure: azure stream');

    const embeddings = await client.embeddings.create({ model: 'x', input: 'vector me' });
    expect(embeddings.data[0].embedding).toHaveLength(8);
    expect(upstream.requests.map((request) => request.path)).toEqual([
      '/openai/deployments/emb-deploy/chat/completions',
      '/openai/deployments/emb-deploy/embeddings',
    ]);
  });
});
