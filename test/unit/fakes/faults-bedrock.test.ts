import {
  AccessDeniedException,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  InternalServerException,
  InvokeModelCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import type { ConverseCommandOutput, ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { BEDROCK_MODEL, TITAN_MODEL, anyRejectionOf, bedrockClient, drain, rejectionOf } from './sdk-clients';
import type { ClientOptions } from './sdk-clients';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

function converse(text: string, opts: ClientOptions = {}): Promise<ConverseCommandOutput> {
  return bedrockClient(upstream.url, opts).send(new ConverseCommand({ modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text }] }] }));
}

async function converseStream(text: string): Promise<{ events: ConverseStreamOutput[]; texts: string[]; error?: Error }> {
  const output = await bedrockClient(upstream.url).send(
    new ConverseStreamCommand({ modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text }] }] }),
  );
  if (output.stream === undefined) throw new Error('expected an event stream');
  const { items, error } = await drain(output.stream);
  const texts = items.flatMap((event) => (event.contentBlockDelta?.delta?.text === undefined ? [] : [event.contentBlockDelta.delta.text]));
  return { events: items, texts, error };
}

describe('Bedrock faults', () => {
  it('#fault=429x2 throws ThrottlingException twice with retry-after on $response, then succeeds', async () => {
    const text = 'bedrock 429 twice #fault=429x2';
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(converse(text), ThrottlingException);
      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Too many requests, please wait before trying again.');
      expect(error.$metadata.httpStatusCode).toBe(429);
      expect(error.$fault).toBe('client');
      expect(error.$response?.headers['retry-after']).toBe('0.1');
      expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    await expect(converse(text)).resolves.toMatchObject({ stopReason: 'end_turn' });
    expect(upstream.countFor(text)).toBe(3);
  });

  it('@S sets retry-after seconds', async () => {
    const error = await rejectionOf(converse('bedrock retry after #fault=429x1@0.25'), ThrottlingException);
    expect(error.$response?.headers['retry-after']).toBe('0.25');
  });

  it('#fault=500x1 throws InternalServerException once', async () => {
    const text = 'bedrock 500 once #fault=500x1';
    const error = await rejectionOf(converse(text), InternalServerException);
    expect(error.$metadata.httpStatusCode).toBe(500);
    expect(error.$fault).toBe('server');
    await expect(converse(text)).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('#fault=503 throws ServiceUnavailableException', async () => {
    const error = await rejectionOf(converse('busy #fault=503'), ServiceUnavailableException);
    expect(error.$metadata.httpStatusCode).toBe(503);
  });

  it('the access key bad-key yields 403 UnrecognizedClientException, as AWS answers', async () => {
    const error = await rejectionOf(converse('hello', { apiKey: 'bad-key' }), BedrockRuntimeServiceException);
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.message).toBe('The security token included in the request is invalid.');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it.each([
    ['#fault=400', ValidationException, 400],
    ['#fault=401', AccessDeniedException, 403],
    ['#fault=404', ResourceNotFoundException, 404],
  ])('%s always throws the modeled exception', async (directive, errorClass, status) => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejectionOf<BedrockRuntimeServiceException>(converse(`always ${directive}`), errorClass);
      expect(error.$metadata.httpStatusCode).toBe(status);
    }
  });

  it('#fault=context throws the input-too-long ValidationException', async () => {
    const error = await rejectionOf(converse('too long #fault=context'), ValidationException);
    expect(error.message).toBe('Input is too long for requested model.');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('faults apply to InvokeModel embeddings too', async () => {
    const client = bedrockClient(upstream.url);
    const command = new InvokeModelCommand({
      modelId: TITAN_MODEL,
      contentType: 'application/json',
      body: JSON.stringify({ inputText: 'embed #fault=429x1' }),
    });
    await rejectionOf(client.send(command), ThrottlingException);
    const output = await client.send(command);
    expect(JSON.parse(new TextDecoder().decode(output.body))).toMatchObject({ inputTextTokenCount: 2 });
  });

  it('#fault=malformed sends 200 with truncated JSON, a deserialization error', async () => {
    const error = await anyRejectionOf(converse('broken #fault=malformed'));
    expect(error.name).toBe('SyntaxError');
    expect(String(error.message)).toContain('Deserialization error');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 200 });
  });

  it('#fault=malformed in a stream sends messageStart, then a frame with invalid JSON', async () => {
    const { events, error } = await converseStream('broken stream #fault=malformed');
    expect(events).toEqual([{ messageStart: { role: 'assistant' } }]);
    expect(error?.name).toBe('SyntaxError');
  });

  it('#fault=cut streams exactly two text deltas, then resets the HTTP/2 stream', async () => {
    const { events, texts, error } = await converseStream('cut me #fault=cut');
    expect(texts).toEqual(['Hello ', 'from ']);
    expect(events.some((event) => event.messageStop !== undefined)).toBe(false);
    expect(error).toMatchObject({ code: 'ERR_HTTP2_STREAM_ERROR' });
  });

  it('#fault=hang never answers, so the request timeout fires', async () => {
    const started = Date.now();
    const error = await anyRejectionOf(converse('hang #fault=hang', { timeout: 300 }));
    expect(error.name).toBe('TimeoutError');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('#delay=MS waits before the first stream byte', async () => {
    const started = Date.now();
    const { texts } = await converseStream('slow #delay=150');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(texts.join('')).toBe('Hello from fake bedrock: slow #delay=150');
  });
});
