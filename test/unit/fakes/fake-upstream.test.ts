import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';
import { wordChunks } from '../../fakes/answer';
import { parseDirectives } from '../../fakes/directives';
import { BEDROCK_MODEL, anyRejectionOf, bedrockClient, drain, openAiClient, rejectionOf } from './sdk-clients';

describe('parseDirectives', () => {
  it('reads nothing from plain text', () => {
    expect(parseDirectives('just a question')).toEqual({ tool: false, delayMs: 0, gapMs: 0 });
  });

  it('reads counted status faults with and without retry-after', () => {
    expect(parseDirectives('x #fault=429x2@1.5').fault).toEqual({
      kind: 'status',
      status: 429,
      times: 2,
      retryAfterSeconds: 1.5,
    });
    expect(parseDirectives('#fault=500x3').fault).toEqual({
      kind: 'status',
      status: 500,
      times: 3,
      retryAfterSeconds: undefined,
    });
    expect(parseDirectives('#fault=401').fault).toEqual({
      kind: 'status',
      status: 401,
      times: undefined,
      retryAfterSeconds: undefined,
    });
  });

  it('reads shape faults, delays and combinations', () => {
    expect(parseDirectives('#fault=hang').fault).toEqual({ kind: 'hang' });
    expect(parseDirectives('#fault=context please').fault).toEqual({ kind: 'context' });
    expect(parseDirectives('#fault=429x1 #tool #delay=25 #gap=10')).toEqual({
      tool: true,
      delayMs: 25,
      gapMs: 10,
      fault: { kind: 'status', status: 429, times: 1, retryAfterSeconds: undefined },
    });
  });

  it('ignores statuses it does not serve', () => {
    expect(parseDirectives('#fault=418').fault).toBeUndefined();
  });
});

describe('wordChunks', () => {
  it('splits into word pieces that join back exactly', () => {
    const text = 'Hello from fake openai:  two  spaces';
    expect(wordChunks(text)).toEqual(['Hello ', 'from ', 'fake ', 'openai:  ', 'two  ', 'spaces']);
    expect(wordChunks(text).join('')).toBe(text);
  });
});

describe('startFakeUpstream', () => {
  let upstream: FakeUpstream;

  beforeEach(async () => {
    upstream = await startFakeUpstream();
  });
  afterEach(() => upstream.close());

  it('listens on 127.0.0.1 and reports its url and port', () => {
    expect(upstream.url).toBe(`http://127.0.0.1:${upstream.port}`);
    expect(upstream.port).toBeGreaterThan(0);
  });

  it('counts requests per text and forgets them, and the fault counters, on reset', async () => {
    const client = openAiClient(upstream.url);
    const text = 'counted #fault=429x1';
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: text }] })).rejects.toMatchObject({ status: 429 });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: text }] });
    expect(upstream.countFor(text)).toBe(2);
    expect(upstream.countFor('other')).toBe(0);

    upstream.reset();
    expect(upstream.requests).toEqual([]);
    // The counter restarted, so the first attempt fails again.
    await expect(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: text }] })).rejects.toMatchObject({ status: 429 });
  });

  it('answers unknown routes with 404 and invalid JSON with the provider 400', async () => {
    const unknown = await fetch(`${upstream.url}/v2/nothing`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);

    const invalid = await fetch(`${upstream.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"messages":',
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('marks a request aborted when the client goes away before the answer', async () => {
    const client = openAiClient(upstream.url);
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'finished' }] });
    const stream = await client.chat.completions.create({
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'cut #fault=cut' }],
    });
    await drain(stream);
    const controller = new AbortController();
    const gone = client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'slow #delay=2000' }] }, { signal: controller.signal });
    await waitFor(() => upstream.countFor('slow #delay=2000') === 1);
    controller.abort();
    await anyRejectionOf(gone);
    const bedrock = bedrockClient(upstream.url, { timeout: 200 });
    const converse = (text: string): ConverseCommand => new ConverseCommand({ modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text }] }] });
    await bedrock.send(converse('h2 finished'));
    const cutStream = await bedrock.send(
      new ConverseStreamCommand({
        modelId: BEDROCK_MODEL,
        messages: [{ role: 'user', content: [{ text: 'h2 cut #fault=cut' }] }],
      }),
    );
    if (cutStream.stream) await drain(cutStream.stream);
    await rejectionOf(bedrock.send(converse('#fault=hang')), Error);

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(upstream.requests.map((request) => [request.lastUserText, request.aborted])).toEqual([
      ['finished', false],
      ['cut #fault=cut', false],
      ['slow #delay=2000', true],
      ['h2 finished', false],
      ['h2 cut #fault=cut', false],
      ['#fault=hang', true],
    ]);
  });

  it('close() resolves promptly while a request hangs, dropping it', async () => {
    const hung = fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '#fault=hang' }] }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await upstream.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((await anyRejectionOf(hung)).message).toBe('fetch failed');
    upstream = await startFakeUpstream();
  });

  it('serves Bedrock over HTTP/1.1 too, for clients that swap in NodeHttpHandler', async () => {
    const http1 = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: upstream.url,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
    const output = await http1.send(new ConverseCommand({ modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text: 'over h1' }] }] }));
    expect(output.output?.message?.content).toEqual([{ text: 'Hello from fake bedrock: over h1' }]);

    const streamText = async (text: string): Promise<{ text: string; error?: Error }> => {
      const streamed = await http1.send(new ConverseStreamCommand({ modelId: BEDROCK_MODEL, messages: [{ role: 'user', content: [{ text }] }] }));
      if (streamed.stream === undefined) throw new Error('expected an event stream');
      const { items, error } = await drain(streamed.stream);
      return { text: items.map((event) => event.contentBlockDelta?.delta?.text ?? '').join(''), error };
    };
    await expect(streamText('stream h1')).resolves.toEqual({ text: 'Hello from fake bedrock: stream h1' });
    const cut = await streamText('cut h1 #fault=cut');
    expect(cut.text).toBe('Hello from ');
    expect(cut.error?.message).toBe('aborted');
  });
});

describe('startFakeUpstream({ record: false })', () => {
  it('answers without recording', async () => {
    const upstream = await startFakeUpstream({ record: false });
    try {
      const completion = await openAiClient(upstream.url).chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'bench' }],
      });
      expect(completion.choices[0].message.content).toBe('Hello from fake openai: bench');
      expect(upstream.requests).toEqual([]);
      expect(upstream.countFor('bench')).toBe(0);
    } finally {
      await upstream.close();
    }
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
