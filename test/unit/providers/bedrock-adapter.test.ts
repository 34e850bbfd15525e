import { Readable } from 'node:stream';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { BedrockAdapter } from '../../../providers/bedrock/adapter';
import type { ChatCompletionChunk, ProviderSettings } from '../../../providers/types';

const settings: ProviderSettings = { id: 'bedrock-test', kind: 'bedrock', region: 'us-east-1', timeoutMs: 5_000 };

interface FakeHttpRequest {
  readonly path: string;
  readonly body?: unknown;
}

interface FakeAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** JSON bodies as bytes; event streams as a Node stream, as the real HTTP/2 handler returns them. */
  readonly body: Uint8Array | Readable;
}

/** A real SDK client whose HTTP layer is replaced: every request goes to `answer`. */
function adapterWith(answer: (request: FakeHttpRequest) => FakeAnswer): { adapter: BedrockAdapter; requests: FakeHttpRequest[] } {
  const requests: FakeHttpRequest[] = [];
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: FakeHttpRequest, options?: { abortSignal?: AbortSignal }) => {
        // Like Smithy's node handler: an aborted signal rejects with an AbortError.
        if (options?.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
        requests.push(request);
        const { status = 200, headers = {}, body } = answer(request);
        return { response: { statusCode: status, reason: '', headers: { 'content-type': 'application/json', ...headers }, body } };
      },
    },
  });
  return { adapter: new BedrockAdapter(settings, client), requests };
}

const jsonBody = (value: unknown): Uint8Array => fromUtf8(JSON.stringify(value));
const requestJson = (request: FakeHttpRequest): Record<string, unknown> =>
  JSON.parse(typeof request.body === 'string' ? request.body : toUtf8(request.body as Uint8Array)) as Record<string, unknown>;

const codec = new EventStreamCodec(toUtf8, fromUtf8);
function eventStream(events: readonly (readonly [string, unknown, ('event' | 'exception')?])[]): Readable {
  const frames = events.map(([type, payload, kind = 'event']) =>
    codec.encode({
      headers: {
        ':message-type': { type: 'string', value: kind },
        [kind === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: jsonBody(payload),
    }),
  );
  return Readable.from(frames.map((frame) => Buffer.from(frame)));
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('BedrockAdapter', () => {
  it('chat sends Converse and maps the answer', async () => {
    const { adapter, requests } = adapterWith(() => ({
      headers: { 'x-amzn-requestid': 'req-42' },
      body: jsonBody({
        output: { message: { role: 'assistant', content: [{ text: 'Hei' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 },
        metrics: { latencyMs: 10 },
      }),
    }));
    const completion = await adapter.chat(
      { model: 'alias', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 },
      { upstreamModel: 'amazon.nova-lite-v1:0' },
    );
    expect(requests[0].path).toBe('/model/amazon.nova-lite-v1%3A0/converse');
    expect(requestJson(requests[0])).toEqual({ messages: [{ role: 'user', content: [{ text: 'Hi' }] }], inferenceConfig: { maxTokens: 10 } });
    expect(completion).toMatchObject({
      id: 'chatcmpl-req-42',
      model: 'amazon.nova-lite-v1:0',
      choices: [{ message: { content: 'Hei' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
    });
  });

  it('classifies a ThrottlingException answer', async () => {
    const { adapter } = adapterWith(() => ({
      status: 429,
      headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      body: jsonBody({ message: 'Too many requests, please wait before trying again.' }),
    }));
    const failure = await adapter.chat({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).toDetails()).toMatchObject({
      failureType: FailureType.ProviderRateLimited,
      status: 429,
      provider: 'bedrock-test',
      code: 'ThrottlingException',
    });
    expect((failure as UpstreamError).message).toBe('Too many requests, please wait before trying again.');
  });

  it('chatStream decodes the event stream into chunks and a trailing usage chunk', async () => {
    const { adapter } = adapterWith(() => ({
      headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-s' },
      body: eventStream([
        ['messageStart', { role: 'assistant' }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }],
        ['contentBlockStop', { contentBlockIndex: 0 }],
        ['messageStop', { stopReason: 'end_turn' }],
        ['metadata', { usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 }, metrics: { latencyMs: 5 } }],
      ]),
    }));
    const chunks = await collect(adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' }));
    expect(chunks.map((c) => (c.choices.length ? [c.choices[0].delta, c.choices[0].finish_reason] : c.usage))).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'Hel' }, null],
      [{ content: 'lo' }, null],
      [{}, 'stop'],
      { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 0 } },
    ]);
    expect(chunks[0].id).toBe('chatcmpl-req-s');
  });

  it('an exception mid-stream becomes a classified UpstreamError', async () => {
    const { adapter } = adapterWith(() => ({
      headers: { 'content-type': 'application/vnd.amazon.eventstream' },
      body: eventStream([
        ['messageStart', { role: 'assistant' }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }],
        ['modelStreamErrorException', { message: 'Model stream broke', originalStatusCode: 500 }, 'exception'],
      ]),
    }));
    const seen: ChatCompletionChunk[] = [];
    const failure = await (async () => {
      for await (const c of adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' })) seen.push(c);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).failureType).toBe(FailureType.ProviderServerError);
    expect((failure as UpstreamError).message).toBe('Model stream broke');
  });

  it('a stream without messageStop throws ProviderConnection', async () => {
    const { adapter } = adapterWith(() => ({
      headers: { 'content-type': 'application/vnd.amazon.eventstream' },
      body: eventStream([['messageStart', { role: 'assistant' }]]),
    }));
    await expect(collect(adapter.chatStream({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm' }))).rejects.toMatchObject({
      failureType: FailureType.ProviderConnection,
    });
  });

  it('embed calls InvokeModel once per input, in order', async () => {
    const { adapter, requests } = adapterWith((request) => {
      const text = String(requestJson(request).inputText);
      return { body: jsonBody({ embedding: [text.length, 0.5], inputTextTokenCount: text.length }) };
    });
    const res = await adapter.embed({ model: 'alias', input: ['a', 'bbb'] }, { upstreamModel: 'amazon.titan-embed-text-v2:0' });
    expect(requests.map((r) => requestJson(r))).toEqual([{ inputText: 'a' }, { inputText: 'bbb' }]);
    expect(requests[0].path).toBe('/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(res).toEqual({
      object: 'list',
      model: 'amazon.titan-embed-text-v2:0',
      data: [
        { object: 'embedding', index: 0, embedding: [1, 0.5] },
        { object: 'embedding', index: 1, embedding: [3, 0.5] },
      ],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
  });

  it('rethrows the caller abort as-is', async () => {
    const controller = new AbortController();
    controller.abort();
    const { adapter } = adapterWith(() => ({ body: jsonBody({}) }));
    const failure = await adapter
      .chat({ model: 'a', messages: [{ role: 'user', content: 'x' }] }, { upstreamModel: 'm', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(failure).not.toBeInstanceOf(UpstreamError);
    expect((failure as Error).name).toBe('AbortError');
  });
});
