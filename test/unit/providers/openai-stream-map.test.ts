import { APIError } from 'openai';
import { Stream } from 'openai/core/streaming';
import { FailureType } from '../../../errors/failure-types';
import { classifyOpenAIError } from '../../../providers/openai/error-map';
import { OpenAIStreamDecoder } from '../../../providers/openai/stream-map';
import type { ChatCompletionChunk } from '../../../providers/types';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

const BODY = [
  `data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }))}\n\n`,
  ': OPENROUTER PROCESSING\n\n',
  `data: ${JSON.stringify(chunk({ content: 'Grüße 🌍' }))}\r\n\r\n`,
  `data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`,
  `data: ${JSON.stringify({ ...chunk({}), choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');

function decodeAll(parts: readonly Uint8Array[]): ChatCompletionChunk[] {
  const decoder = new OpenAIStreamDecoder(new Headers());
  return parts.flatMap((part) => [...decoder.decode(part)]);
}

/** What the SDK's own `Stream` yields, or throws, for the same body. */
async function sdkDecode(body: string): Promise<{ chunks: ChatCompletionChunk[]; error?: unknown }> {
  const stream = Stream.fromSSEResponse<ChatCompletionChunk>(new Response(body), new AbortController());
  const chunks: ChatCompletionChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks };
}

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('OpenAIStreamDecoder', () => {
  it('yields what the SDK Stream yields, wherever the body is split', async () => {
    const { chunks: expected } = await sdkDecode(BODY);
    expect(expected).toHaveLength(4);
    const whole = bytes(BODY);
    for (let at = 0; at <= whole.length; at += 1) {
      expect(decodeAll([whole.subarray(0, at), whole.subarray(at)])).toEqual(expected);
    }
  });

  it('ignores everything after [DONE]', () => {
    const body = `data: ${JSON.stringify(chunk({}, 'stop'))}\n\ndata: [DONE]\n\ndata: not json\n\n`;
    expect(decodeAll([bytes(body)])).toEqual([chunk({}, 'stop')]);
  });

  it.each([
    ['a data error object', 'data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n'],
    ['an error event', 'event: error\ndata: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n'],
    ['a context-length error', 'data: {"error":{"message":"This model\'s maximum context length is 8192 tokens","type":"invalid_request_error"}}\n\n'],
  ])('throws the APIError the SDK throws for %s, classified alike', async (_name, body) => {
    const { error: expected } = await sdkDecode(body);
    expect(expected).toBeInstanceOf(APIError);
    const actual = errorOf(() => decodeAll([bytes(body)]));
    expect(actual).toBeInstanceOf(APIError);
    expect(actual).toMatchObject({ message: (expected as APIError).message, status: undefined, error: (expected as APIError).error });
    expect(classifyOpenAIError(actual, 'p').toDetails()).toEqual(classifyOpenAIError(expected, 'p').toDetails());
  });

  it('also treats an error event without an error wrapper as an error', () => {
    const actual = errorOf(() => decodeAll([bytes('event: error\ndata: {"message":"overloaded","type":"server_error"}\n\n')]));
    expect(classifyOpenAIError(actual, 'p')).toMatchObject({ failureType: FailureType.ProviderServerError, message: 'overloaded' });
  });

  it('throws a SyntaxError, classified as a bad response, for data that is not JSON', () => {
    const actual = errorOf(() => decodeAll([bytes('data: {"choices":[{"delta":\n\n')]));
    expect(actual).toBeInstanceOf(SyntaxError);
    expect(classifyOpenAIError(actual, 'p').failureType).toBe(FailureType.ProviderBadResponse);
  });

  it('yields nothing for an event cut off mid-way', () => {
    const cut = `data: ${JSON.stringify(chunk({ content: 'a' }))}\n\ndata: {"id":"c1","choices":[`;
    expect(decodeAll([bytes(cut)])).toEqual([chunk({ content: 'a' })]);
  });
});
