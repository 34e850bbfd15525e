import OpenAI, { APIUserAbortError, AzureOpenAI } from 'openai';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { buildOpenAIClient } from '../../../providers/openai/client';
import { OpenAIAdapter } from '../../../providers/openai/adapter';
import { sdkBackstopTimeoutMs } from '../../../providers/response-deadline';
import type { ChatCompletionChunk, ProviderSettings } from '../../../providers/types';

const settings: ProviderSettings = { id: 'openai-test', kind: 'openai', apiKey: 'sk-test', baseURL: 'http://upstream.test/v1', timeoutMs: 5_000 };

interface Captured {
  url: string;
  body: Record<string, unknown>;
  headers: Headers;
  signal?: AbortSignal | null;
}

/** An adapter whose SDK client talks to `respond` instead of the network. */
function adapterWith(respond: (captured: Captured) => Response | Promise<Response>): { adapter: OpenAIAdapter; calls: Captured[] } {
  const calls: Captured[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const captured = {
      url: String(input),
      body: JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>,
      headers: new Headers(init?.headers),
      signal: init?.signal,
    };
    calls.push(captured);
    return respond(captured);
  };
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: settings.baseURL, maxRetries: 0, fetch });
  return { adapter: new OpenAIAdapter(settings, client), calls };
}

function sse(events: readonly unknown[], opts: { done?: boolean } = {}): Response {
  const lines = events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  if (opts.done !== false) lines.push('data: [DONE]\n\n');
  return new Response(lines.join(''), { headers: { 'content-type': 'text/event-stream' } });
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** `data` in pieces of `size` bytes. */
function pieces(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(stream) {
      for (const part of parts) stream.enqueue(part);
      stream.close();
    },
  });
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('OpenAIAdapter', () => {
  it('builds its client with SDK retries off and the SDK timeout only as a backstop', () => {
    const client = buildOpenAIClient(settings);
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(sdkBackstopTimeoutMs(5_000));
    expect(client.baseURL).toBe('http://upstream.test/v1');
  });

  it('builds an Azure client from the resource endpoint or a full /openai base URL', () => {
    const azure = { id: 'azure', kind: 'azure', apiKey: 'k', apiVersion: '2024-10-21', timeoutMs: 9_000 } as const;
    const fromEndpoint = buildOpenAIClient({ ...azure, baseURL: 'https://res.openai.azure.com/' });
    expect(fromEndpoint).toBeInstanceOf(AzureOpenAI);
    expect(fromEndpoint.baseURL).toBe('https://res.openai.azure.com/openai');
    expect((fromEndpoint as AzureOpenAI).apiVersion).toBe('2024-10-21');
    expect(fromEndpoint.maxRetries).toBe(0);
    expect(fromEndpoint.timeout).toBe(sdkBackstopTimeoutMs(9_000));
    expect(buildOpenAIClient({ ...azure, baseURL: 'https://res.openai.azure.com/openai' }).baseURL).toBe('https://res.openai.azure.com/openai');
  });

  it('chat sends the upstream model without stream fields and the request id header', async () => {
    const completion = { id: 'x', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [] };
    const { adapter, calls } = adapterWith(() => json(completion));
    const result = await adapter.chat(
      { model: 'alias', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
      { upstreamModel: 'gpt-4o', requestId: 'req-123' },
    );
    expect(result).toEqual(completion);
    expect(calls[0].url).toBe('http://upstream.test/v1/chat/completions');
    expect(calls[0].body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(calls[0].headers.get('x-client-request-id')).toBe('req-123');
  });

  it('chatStream forces include_usage and yields the upstream chunks', async () => {
    const events = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hi' }),
      chunk({}, 'stop'),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ];
    const { adapter, calls } = adapterWith(() => sse(events));
    const chunks = await collect(adapter.chatStream({ model: 'alias', messages: [], stream: true }, { upstreamModel: 'gpt-4o' }));
    expect(calls[0].body).toMatchObject({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true } });
    expect(chunks).toEqual(events);
  });

  it('chatStream throws ProviderConnection when the stream ends without a finish_reason', async () => {
    const { adapter } = adapterWith(() => sse([chunk({ content: 'Hi' })], { done: false }));
    await expect(collect(adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' }))).rejects.toMatchObject({
      failureType: FailureType.ProviderConnection,
      provider: 'openai-test',
    });
  });

  it('chatStream decodes a CRLF body delivered in small pieces', async () => {
    const events = [chunk({ content: 'Grüße' }), chunk({}, 'stop')];
    const text = [...events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`), 'data: [DONE]\r\n\r\n'].join('');
    const { adapter } = adapterWith(
      () => new Response(streamOf(pieces(new TextEncoder().encode(text), 7)), { headers: { 'content-type': 'text/event-stream' } }),
    );
    await expect(collect(adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' }))).resolves.toEqual(events);
  });

  it('chatStream throws a mid-stream error event as a classified UpstreamError after the chunks before it', async () => {
    const text = `data: ${JSON.stringify(chunk({ content: 'Hi' }))}\n\ndata: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n`;
    const { adapter } = adapterWith(() => new Response(text, { headers: { 'content-type': 'text/event-stream' } }));
    const seen: ChatCompletionChunk[] = [];
    const failure = await (async () => {
      for await (const c of adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' })) seen.push(c);
    })().catch((err: unknown) => err);
    expect(seen).toEqual([chunk({ content: 'Hi' })]);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ failureType: FailureType.ProviderRateLimited, message: 'Rate limit reached', code: 'rate_limit_exceeded' });
  });

  it('chatStream throws ProviderConnection when the body is cut mid-event', async () => {
    const text = `data: ${JSON.stringify(chunk({ content: 'Hi' }))}\n\ndata: ${JSON.stringify(chunk({}, 'stop')).slice(0, 40)}`;
    const { adapter } = adapterWith(() => new Response(text, { headers: { 'content-type': 'text/event-stream' } }));
    await expect(collect(adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' }))).rejects.toMatchObject({
      failureType: FailureType.ProviderConnection,
    });
  });

  it('chatStream cancels the upstream body when the consumer stops early', async () => {
    const cancelled = jest.fn();
    const { adapter } = adapterWith(() => {
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(chunk({ content: 'Hi' }))}\n\n`));
        },
        cancel: cancelled,
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    for await (const c of adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' })) {
      expect(c).toEqual(chunk({ content: 'Hi' }));
      break;
    }
    expect(cancelled).toHaveBeenCalledTimes(1);
  });

  it('classifies HTTP errors once, without SDK retries, from the first next()', async () => {
    const { adapter, calls } = adapterWith(() => json({ error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } }, 429, { 'retry-after': '1' }));
    const iterator = adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm' })[Symbol.asyncIterator]();
    const failure = await iterator.next().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).toDetails()).toMatchObject({ failureType: FailureType.ProviderRateLimited, status: 429, retryAfterMs: 1000 });
    expect((failure as UpstreamError).message).toBe('Rate limit reached');
    expect(calls).toHaveLength(1);
  });

  it('rethrows the caller abort as-is instead of classifying it', async () => {
    const controller = new AbortController();
    controller.abort();
    const { adapter } = adapterWith(() => json({}));
    const failure = await adapter.chat({ model: 'a', messages: [] }, { upstreamModel: 'm', signal: controller.signal }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(APIUserAbortError);
    expect(failure).not.toBeInstanceOf(UpstreamError);
  });

  it('surfaces an abort mid-stream as the abort reason, not as a clean end', async () => {
    const controller = new AbortController();
    const reason = new Error('client disconnected');
    const { adapter } = adapterWith(({ signal }) => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(encoder.encode(`data: ${JSON.stringify(chunk({ content: 'Hi' }))}\n\n`));
          // The connection then stays open until the abort, which errors the body as undici does.
          signal?.addEventListener('abort', () => stream.error(new DOMException('This operation was aborted', 'AbortError')));
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    });
    const seen: ChatCompletionChunk[] = [];
    const failure = await (async () => {
      for await (const c of adapter.chatStream({ model: 'a', messages: [] }, { upstreamModel: 'm', signal: controller.signal })) {
        seen.push(c);
        controller.abort(reason);
      }
    })().catch((err: unknown) => err);
    expect(seen).toHaveLength(1);
    expect(failure).toBe(reason);
  });

  it('embed swaps the model and checks the response shape', async () => {
    const body = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 1, total_tokens: 1 },
    };
    const { adapter, calls } = adapterWith(() => json(body));
    const result = await adapter.embed({ model: 'alias', input: 'x', encoding_format: 'float' }, { upstreamModel: 'text-embedding-3-small' });
    expect(result).toEqual(body);
    expect(calls[0].body).toEqual({ model: 'text-embedding-3-small', input: 'x', encoding_format: 'float' });
  });

  it('turns a non-JSON 2xx into ProviderBadResponse', async () => {
    const { adapter } = adapterWith(() => new Response('<html>gateway</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    await expect(adapter.chat({ model: 'a', messages: [] }, { upstreamModel: 'm' })).rejects.toMatchObject({ failureType: FailureType.ProviderBadResponse });
  });
});
