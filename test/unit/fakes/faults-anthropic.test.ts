import Anthropic from '@anthropic-ai/sdk';
import type { APIError } from '@anthropic-ai/sdk';
import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { anthropicClient, anyRejectionOf, drain, rejectionOf } from './sdk-clients';
import type { ClientOptions } from './sdk-clients';

const MODEL = 'claude-3-5-haiku-latest';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

function create(text: string, opts: ClientOptions = {}): Promise<Message> {
  return anthropicClient(upstream.url, opts).messages.create({
    model: MODEL,
    max_tokens: 64,
    messages: [{ role: 'user', content: text }],
  });
}

async function createStream(text: string): Promise<{ events: RawMessageStreamEvent[]; texts: string[]; error?: Error }> {
  const stream = await anthropicClient(upstream.url, { quiet: true }).messages.create({
    model: MODEL,
    max_tokens: 64,
    stream: true,
    messages: [{ role: 'user', content: text }],
  });
  const { items, error } = await drain<RawMessageStreamEvent>(stream);
  const texts = items.flatMap((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? [event.delta.text] : []));
  return { events: items, texts, error };
}

describe('Anthropic faults', () => {
  it('#fault=429x2 fails twice with rate_limit_error, retry-after and request-id, then succeeds', async () => {
    const text = 'anthropic 429 twice #fault=429x2';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(create(text), Anthropic.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.any(String) },
      });
      expect(error.headers?.get('retry-after')).toBe('0.1');
      expect(error.requestID).toMatch(/^req_/);
    }
    await expect(create(text)).resolves.toMatchObject({ stop_reason: 'end_turn' });
    expect(upstream.countFor(text)).toBe(3);
  });

  it('@S sets retry-after seconds', async () => {
    const error = await rejectionOf(create('anthropic retry after #fault=429x1@2'), Anthropic.RateLimitError);
    expect(error.headers?.get('retry-after')).toBe('2');
  });

  it('#fault=500x1 fails once with api_error', async () => {
    const text = 'anthropic 500 once #fault=500x1';
    const error = await rejectionOf(create(text), Anthropic.InternalServerError);
    expect(error.status).toBe(500);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    await expect(create(text)).resolves.toMatchObject({ type: 'message' });
  });

  it('#fault=529 answers overloaded_error', async () => {
    const error = await rejectionOf<APIError>(create('busy #fault=529'), Anthropic.APIError);
    expect(error.status).toBe(529);
    expect(error.error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('the key bad-key yields 401 authentication_error', async () => {
    const error = await rejectionOf(create('hello', { apiKey: 'bad-key' }), Anthropic.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
  });

  it.each([
    ['#fault=400', Anthropic.BadRequestError, 400, 'invalid_request_error'],
    ['#fault=401', Anthropic.AuthenticationError, 401, 'authentication_error'],
    ['#fault=404', Anthropic.NotFoundError, 404, 'not_found_error'],
  ])('%s always fails with the matching error', async (directive, errorClass, status, type) => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejectionOf<APIError>(create(`always ${directive}`), errorClass);
      expect(error.status).toBe(status);
      expect(error.error).toMatchObject({ error: { type } });
    }
  });

  it('#fault=context answers the prompt-too-long invalid_request_error', async () => {
    const error = await rejectionOf(create('too long #fault=context'), Anthropic.BadRequestError);
    expect(error.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'prompt is too long: 250000 tokens > 200000 maximum' },
    });
  });

  it('#fault=malformed sends 200 with truncated JSON', async () => {
    const error = await anyRejectionOf(create('broken #fault=malformed'));
    expect(error.name).toBe('SyntaxError');
  });

  it('#fault=malformed in a stream sends message_start, then an event with invalid JSON', async () => {
    const { events, error } = await createStream('broken stream #fault=malformed');
    expect(events.map((event) => event.type)).toEqual(['message_start']);
    expect(error?.name).toBe('SyntaxError');
  });

  it('#fault=cut streams exactly two text deltas, then drops the connection', async () => {
    const { events, texts, error } = await createStream('cut me #fault=cut');
    expect(texts).toEqual(['Hello ', 'from ']);
    expect(events.some((event) => event.type === 'message_stop')).toBe(false);
    expect(error?.message).toBe('terminated');
  });

  it('#fault=hang never answers, so the SDK timeout fires', async () => {
    const started = Date.now();
    await rejectionOf(create('hang #fault=hang', { timeout: 300 }), Anthropic.APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('#delay=MS waits before the first stream byte', async () => {
    const started = Date.now();
    const { texts } = await createStream('slow #delay=150');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(texts.join('')).toBe('Hello from fake anthropic: slow #delay=150');
  });
});
