import { ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { ConverseCommandInput, ConverseStreamOutput, Tool } from '@aws-sdk/client-bedrock-runtime';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { BEDROCK_MODEL, TITAN_MODEL, bedrockClient, drain } from './sdk-clients';

const WEATHER_TOOL: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Weather for a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } },
  },
};

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

function converseInput(text: string, extra: Partial<ConverseCommandInput> = {}): ConverseCommandInput {
  return { modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text }] }], ...extra };
}

async function streamEvents(text: string, extra: Partial<ConverseCommandInput> = {}): Promise<ConverseStreamOutput[]> {
  const output = await bedrockClient(upstream.url).send(new ConverseStreamCommand(converseInput(text, extra)));
  if (output.stream === undefined) throw new Error('expected an event stream');
  const { items, error } = await drain(output.stream);
  if (error) throw error;
  return items;
}

describe('Bedrock Converse', () => {
  it('answers Converse JSON with usage and metrics on the URL-encoded model path', async () => {
    const output = await bedrockClient(upstream.url).send(new ConverseCommand(converseInput('Hello Bedrock friend', { system: [{ text: 'Be kind.' }] })));

    expect(output.output?.message?.role).toBe('assistant');
    expect(output.output?.message?.content).toEqual([{ text: 'Hello from fake bedrock: Hello Bedrock friend' }]);
    expect(output.stopReason).toBe('end_turn');
    // 2 system + 3 user words + 3; the answer has 7 words.
    expect(output.usage).toEqual({ inputTokens: 8, outputTokens: 7, totalTokens: 15 });
    expect(output.metrics).toEqual({ latencyMs: 0 });
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(upstream.requests[0]).toMatchObject({
      provider: 'bedrock',
      path: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
      model: BEDROCK_MODEL,
      stream: false,
      lastUserText: 'Hello Bedrock friend',
    });
    expect(String(upstream.requests[0].headers.authorization)).toContain('Credential=x/');
  });

  it('streams event-stream frames the SDK decodes into typed events', async () => {
    const events = await streamEvents('stream me now');

    expect(events[0]).toEqual({ messageStart: { role: 'assistant' } });
    const texts = events.flatMap((event) => (event.contentBlockDelta?.delta?.text === undefined ? [] : [event.contentBlockDelta.delta.text]));
    expect(texts.length).toBeGreaterThanOrEqual(4);
    expect(texts.join('')).toBe('Hello from fake bedrock: stream me now');
    expect(events.slice(-3)).toEqual([
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 6, outputTokens: 7, totalTokens: 13 }, metrics: { latencyMs: 0 } } },
    ]);
    expect(upstream.requests[0]).toMatchObject({
      path: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream',
      stream: true,
    });
  });

  it('answers toolUse on #tool', async () => {
    const output = await bedrockClient(upstream.url).send(new ConverseCommand(converseInput('Weather? #tool', { toolConfig: { tools: [WEATHER_TOOL] } })));

    expect(output.stopReason).toBe('tool_use');
    const toolUse = output.output?.message?.content?.[0]?.toolUse;
    expect(toolUse?.toolUseId).toMatch(/^tooluse_/);
    expect(toolUse?.name).toBe('get_weather');
    expect(toolUse?.input).toEqual({ city: 'Paris' });
  });

  it('streams toolUse as a block start and input deltas', async () => {
    const events = await streamEvents('#tool weather', { toolConfig: { tools: [WEATHER_TOOL] } });

    expect(events[1].contentBlockStart).toMatchObject({
      contentBlockIndex: 0,
      start: { toolUse: { name: 'get_weather' } },
    });
    const pieces = events.flatMap((event) =>
      event.contentBlockDelta?.delta?.toolUse?.input === undefined ? [] : [event.contentBlockDelta.delta.toolUse.input],
    );
    expect(pieces.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(pieces.join(''))).toEqual({ city: 'Paris' });
    expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('answers in text after a toolResult turn', async () => {
    const output = await bedrockClient(upstream.url).send(
      new ConverseCommand({
        modelId: BEDROCK_MODEL,
        toolConfig: { tools: [WEATHER_TOOL] },
        messages: [
          { role: 'user', content: [{ text: 'Weather? #tool' }] },
          {
            role: 'assistant',
            content: [{ toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Paris' } } }],
          },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'sunny' }] } }] },
        ],
      }),
    );
    expect(output.stopReason).toBe('end_turn');
    expect(output.output?.message?.content).toEqual([{ text: 'Hello from fake bedrock: Weather? #tool' }]);
  });
});

describe('Bedrock InvokeModel (Titan embeddings)', () => {
  it('returns a deterministic embedding and the input token count', async () => {
    const client = bedrockClient(upstream.url);
    const invoke = async (body: Record<string, unknown>): Promise<{ embedding: number[]; inputTextTokenCount: number }> => {
      const output = await client.send(
        new InvokeModelCommand({
          modelId: TITAN_MODEL,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify(body),
        }),
      );
      return JSON.parse(new TextDecoder().decode(output.body)) as { embedding: number[]; inputTextTokenCount: number };
    };

    const first = await invoke({ inputText: 'embed these three' });
    const second = await invoke({ inputText: 'embed these three' });
    const sized = await invoke({ inputText: 'other', dimensions: 256 });

    expect(first.inputTextTokenCount).toBe(3);
    expect(first.embedding).toHaveLength(8);
    expect(first.embedding).toEqual(second.embedding);
    expect(Math.hypot(...first.embedding)).toBeCloseTo(1, 5);
    expect(sized.embedding).toHaveLength(256);
    expect(upstream.requests[0]).toMatchObject({
      provider: 'bedrock',
      path: '/model/amazon.titan-embed-text-v2%3A0/invoke',
      model: TITAN_MODEL,
      lastUserText: 'embed these three',
    });
  });
});
