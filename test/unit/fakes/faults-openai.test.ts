import OpenAI from 'openai';
import type { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { startFakeUpstream } from '../../fakes';
import { maskedKey } from '../../fakes/openai-dialect';
import type { FakeUpstream } from '../../fakes';
import { anyRejectionOf, drain, openAiClient, rejectionOf } from './sdk-clients';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

function chat(text: string, opts: { apiKey?: string; timeout?: number } = {}): Promise<OpenAI.ChatCompletion> {
  return openAiClient(upstream.url, opts).chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: text }],
  });
}

async function chatStream(text: string): Promise<{ pieces: string[]; error?: Error }> {
  const stream = await openAiClient(upstream.url, { quiet: true }).chat.completions.create({
    model: 'gpt-4o',
    stream: true,
    messages: [{ role: 'user', content: text }],
  });
  const { items, error } = await drain<ChatCompletionChunk>(stream);
  return {
    pieces: items.flatMap((chunk) => (chunk.choices[0]?.delta.content ? [chunk.choices[0].delta.content] : [])),
    error,
  };
}

describe('OpenAI faults', () => {
  it('#fault=429x2 fails the first two requests with retry-after 0.1, then succeeds', async () => {
    const text = 'openai 429 twice #fault=429x2';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(chat(text), OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, type: 'requests', code: 'rate_limit_exceeded', param: null });
      expect(error.headers.get('retry-after')).toBe('0.1');
      expect(error.headers.get('x-request-id')).toMatch(/^req_/);
    }
    const completion = await chat(text);
    expect(completion.choices[0].message.content).toBe('Hello from fake openai: openai 429 twice #fault=429x2');
    expect(upstream.countFor(text)).toBe(3);
  });

  it('@S sets retry-after seconds, fractional allowed', async () => {
    const error = await rejectionOf(chat('openai retry after #fault=429x1@1.5'), OpenAI.RateLimitError);
    expect(error.headers.get('retry-after')).toBe('1.5');
  });

  it('#fault=500x1 fails once with server_error and no retry-after', async () => {
    const text = 'openai 500 once #fault=500x1';
    const error = await rejectionOf(chat(text), OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, type: 'server_error' });
    expect(error.headers.get('retry-after')).toBeNull();
    await expect(chat(text)).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('counts attempts per text, so different texts fail independently', async () => {
    await rejectionOf(chat('text A #fault=429x1'), OpenAI.RateLimitError);
    await rejectionOf(chat('text B #fault=429x1'), OpenAI.RateLimitError);
    await expect(chat('text A #fault=429x1')).resolves.toBeDefined();
  });

  it('the key bad-key yields 401 invalid_api_key, quoting the key masked as OpenAI does', async () => {
    const error = await rejectionOf(chat('hello', { apiKey: 'bad-key' }), OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(error.message).toContain(`Incorrect API key provided: ${maskedKey('bad-key')}.`);
    expect(upstream.requests[0].headers.authorization).toBe('Bearer bad-key');
  });

  it('masks a key like OpenAI: its first and last 4 characters around stars', () => {
    expect(maskedKey('sk-abc123456789wxyz')).toBe('sk-a***********wxyz');
    expect(maskedKey('bad-key')).toBe('ba****ey');
  });

  it.each([
    ['#fault=400', OpenAI.BadRequestError, 400, null],
    ['#fault=401', OpenAI.AuthenticationError, 401, 'invalid_api_key'],
    ['#fault=404', OpenAI.NotFoundError, 404, 'model_not_found'],
    ['#fault=context', OpenAI.BadRequestError, 400, 'context_length_exceeded'],
  ])('%s always fails with the matching error', async (directive, errorClass, status, code) => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejectionOf<APIError>(chat(`always ${directive}`), errorClass);
      expect(error).toMatchObject({ status, code });
    }
  });

  it('#fault=context carries the context-length message and param', async () => {
    const error = await rejectionOf(chat('too long #fault=context'), OpenAI.BadRequestError);
    expect(error.message).toContain("This model's maximum context length is 128000 tokens");
    expect(error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
  });

  it('#fault=malformed sends 200 with truncated JSON, which the SDK fails to parse', async () => {
    // fetch's response.json() throws a SyntaxError from outside jest's realm.
    const error = await anyRejectionOf(chat('broken #fault=malformed'));
    expect(error.name).toBe('SyntaxError');
    expect(String(error.message)).toMatch(/JSON/);
  });

  it('#fault=malformed in a stream sends one valid chunk, then invalid JSON in a data line', async () => {
    const { pieces, error } = await chatStream('broken stream #fault=malformed');
    expect(pieces).toEqual([]);
    expect(error?.name).toBe('SyntaxError');
  });

  it('#fault=cut streams exactly two content chunks, then drops the connection', async () => {
    const { pieces, error } = await chatStream('cut me #fault=cut');
    expect(pieces).toEqual(['Hello ', 'from ']);
    expect(error?.message).toBe('terminated');
  });

  it('#fault=cut on a non-streaming request drops the connection before any response', async () => {
    await rejectionOf(chat('cut json #fault=cut'), OpenAI.APIConnectionError);
  });

  it('#fault=hang never answers, so the SDK timeout fires', async () => {
    const started = Date.now();
    // Under plain Node this is APIConnectionTimeoutError; jest's realm hides the AbortError name.
    await rejectionOf(chat('hang #fault=hang', { timeout: 300 }), OpenAI.APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(upstream.countFor('hang #fault=hang')).toBe(1);
  });

  it('#delay=MS waits before answering, and before the first stream byte', async () => {
    let started = Date.now();
    await chat('slow #delay=200');
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);

    started = Date.now();
    const stream = await openAiClient(upstream.url).chat.completions.create({
      model: 'gpt-4o',
      stream: true,
      messages: [{ role: 'user', content: 'slow stream #delay=200' }],
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    await drain(stream);
  });

  it('combines directives: #fault=429x1 #tool fails once, then calls the tool', async () => {
    const request = {
      model: 'gpt-4o',
      tools: [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }],
      messages: [{ role: 'user' as const, content: 'combo #fault=429x1 #tool' }],
    };
    const client = openAiClient(upstream.url);
    await expect(client.chat.completions.create(request)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const completion = await client.chat.completions.create(request);
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
  });
});
