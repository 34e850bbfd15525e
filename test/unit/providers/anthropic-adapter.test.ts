import Anthropic from '@anthropic-ai/sdk';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { AnthropicAdapter } from '../../../providers/anthropic/adapter';
import type { ChatCompletionChunk, ProviderSettings } from '../../../providers/types';
import { anthropicMessage, anthropicUsage } from './anthropic-fixtures';

const settings: ProviderSettings = { id: 'anthropic-test', kind: 'anthropic', apiKey: 'sk-ant-test', baseURL: 'http://upstream.test', timeoutMs: 5_000 };

function adapterWith(respond: (body: Record<string, unknown>) => Response): { adapter: AnthropicAdapter; bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  const fetch = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
    bodies.push(body);
    return respond(body);
  };
  const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: settings.baseURL, maxRetries: 0, fetch });
  return { adapter: new AnthropicAdapter(settings, client), bodies };
}

function sse(events: readonly Record<string, unknown>[]): Response {
  const text = events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
  return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

const messageStart = { type: 'message_start', message: anthropicMessage({ id: 'msg_s', stop_reason: null, usage: anthropicUsage({ input_tokens: 4 }) }) };
const textDelta = (text: string) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
const messageDelta = {
  type: 'message_delta',
  delta: { stop_reason: 'end_turn', stop_sequence: null, container: null, stop_details: null },
  usage: {
    output_tokens: 2,
    input_tokens: null,
    cache_read_input_tokens: null,
    cache_creation_input_tokens: null,
    output_tokens_details: null,
    server_tool_use: null,
  },
};

describe('AnthropicAdapter', () => {
  it('chat maps the request and the Message answer', async () => {
    const { adapter, bodies } = adapterWith(() =>
      json(anthropicMessage({ content: [{ type: 'text', text: 'Bonjour', citations: null }], usage: anthropicUsage({ input_tokens: 3, output_tokens: 1 }) })),
    );
    const completion = await adapter.chat(
      {
        model: 'alias',
        messages: [
          { role: 'system', content: 'French.' },
          { role: 'user', content: 'Hi' },
        ],
        temperature: 0.5,
      },
      { upstreamModel: 'claude-opus-5-5' },
    );
    expect(bodies[0]).toEqual({
      model: 'claude-opus-5-5',
      max_tokens: 4096,
      system: 'French.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: false,
    });
    expect(completion.choices[0].message.content).toBe('Bonjour');
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
  });

  it('chatStream maps raw events to chunks ending with finish and usage', async () => {
    const { adapter, bodies } = adapterWith(() =>
      sse([
        messageStart,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } },
        textDelta('Hi'),
        { type: 'ping' },
        messageDelta,
        { type: 'message_stop' },
      ]),
    );
    const chunks = await collect(adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'claude-opus-5-5' }));
    expect(bodies[0].stream).toBe(true);
    expect(chunks.map((c) => (c.choices.length ? [c.choices[0].delta, c.choices[0].finish_reason] : c.usage))).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'Hi' }, null],
      [{}, 'stop'],
      { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6, prompt_tokens_details: { cached_tokens: 0 } },
    ]);
  });

  it('an error event mid-stream becomes a classified UpstreamError after the chunks already sent', async () => {
    const { adapter } = adapterWith(() => sse([messageStart, textDelta('Hi'), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]));
    const seen: ChatCompletionChunk[] = [];
    const failure = await (async () => {
      for await (const c of adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' })) seen.push(c);
    })().catch((err: unknown) => err);
    expect(seen).toHaveLength(2);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).toDetails()).toMatchObject({ failureType: FailureType.ProviderServerError, provider: 'anthropic-test' });
    expect((failure as UpstreamError).message).toBe('Overloaded');
  });

  it('a stream cut before message_stop throws ProviderConnection', async () => {
    const { adapter } = adapterWith(() => sse([messageStart, textDelta('Hi')]));
    await expect(collect(adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' }))).rejects.toMatchObject({
      failureType: FailureType.ProviderConnection,
    });
  });

  it('HTTP errors are classified (prompt too long → context length)', async () => {
    const { adapter } = adapterWith(() =>
      json({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum' } }, 400),
    );
    await expect(adapter.chat({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' })).rejects.toMatchObject({
      failureType: FailureType.ProviderContextLength,
      status: 400,
      message: 'prompt is too long: 300000 tokens > 200000 maximum',
    });
  });

  it('n > 1 fails from the first next() without calling the upstream', async () => {
    const { adapter, bodies } = adapterWith(() => json({}));
    const iterator = adapter.chatStream({ model: 'a', messages: [], n: 2 }, { upstreamModel: 'm' })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ failureType: FailureType.ProviderUnsupported, param: 'n' });
    expect(bodies).toHaveLength(0);
  });

  it('embed is unsupported', async () => {
    const { adapter } = adapterWith(() => json({}));
    await expect(adapter.embed({ model: 'a', input: 'x' }, { upstreamModel: 'm' })).rejects.toMatchObject({ failureType: FailureType.ProviderUnsupported });
  });
});
