import net from 'node:net';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('bad input gets an OpenAI-style error, never a 500', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function call(path: string, init: { body?: string; auth?: string | null; method?: string; contentType?: string } = {}) {
    const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
    if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${gw.key}`;
    const res = await fetch(`${gw.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    return { status: res.status, ...body.error };
  }
  const chat = (body: unknown) => call('/v1/chat/completions', { body: JSON.stringify(body) });

  it('malformed JSON → 400 invalid_json', async () => {
    expect(await call('/v1/chat/completions', { body: '{"model": "gpt-test", "messages": [' })).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
  });

  it('a body nested thousands of levels deep → 400 invalid_json on every path, and no circuit opens', async () => {
    const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const messages = [{ role: 'user', content: 'hi' }];
    const body = (extra: object, nested: string) => JSON.stringify({ model: 'gpt-test', messages, ...extra }).replace(/}$/, `,"extra":${nested}}`);
    for (const extra of [{}, { stream: true }]) {
      // More than the stream path's five failures that would open the deployment's circuit.
      for (let i = 0; i < 6; i++) {
        expect(await call('/v1/chat/completions', { body: body(extra, deep(5_000)) })).toMatchObject({ status: 400, code: 'invalid_json' });
      }
    }
    // Tool schemas too: they reach every provider.
    const tools = [{ type: 'function', function: { name: 'f', parameters: JSON.parse(deep(150)) as object } }];
    expect(await chat({ model: 'claude-test', messages, tools })).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(await call('/v1/embeddings', { body: `{"model":"embed-test","input":"x","extra":${deep(5_000)}}` })).toMatchObject({
      status: 400,
      code: 'invalid_json',
    });
    // A hundred levels are allowed, and the deployment still answers.
    const ok = await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('deep ok') }], stream: true });
    for await (const chunk of ok) void chunk;
    const shallow = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.key}` },
      body: body({}, deep(99)),
    });
    expect(shallow.status).toBe(200);
  });

  it("what Node's HTTP parser refuses gets the OpenAI error shape too, and the connection closes", async () => {
    const { port } = new URL(gw.url);
    const raw = (request: string) =>
      new Promise<{ status: number; body: ErrorBody }>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (data += chunk));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head = '', body = ''] = data.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) as ErrorBody });
        });
        socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
      });
    const huge = await raw(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'k'.repeat(100_000)}\r\n\r\n`);
    expect(huge).toEqual({
      status: 431,
      body: { error: { message: expect.any(String) as unknown, type: 'invalid_request_error', param: null, code: 'headers_too_large' } },
    });
    const chunked = await raw('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n');
    expect(chunked).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 'invalid_http_request' } } });
  });

  it('a body that is not an object → 400', async () => {
    expect(await call('/v1/chat/completions', { body: '[1,2]' })).toMatchObject({ status: 400, code: 'invalid_request_body' });
    expect(await call('/v1/chat/completions', { body: '"text"' })).toMatchObject({ status: 400, code: 'invalid_request_body' });
    expect(await call('/v1/chat/completions', { body: '' })).toMatchObject({ status: 400, param: 'model', code: 'missing_required_parameter' });
  });

  it('missing fields → 400 naming the field', async () => {
    expect(await chat({ model: 'gpt-test' })).toMatchObject({ status: 400, param: 'messages', code: 'missing_required_parameter' });
    expect(await chat({ messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ status: 400, param: 'model', code: 'missing_required_parameter' });
  });

  it('wrong-typed fields → 400 naming the field', async () => {
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'user', content: 42 }] })).toMatchObject({ status: 400, param: 'messages[0].content' });
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' })).toMatchObject({
      status: 400,
      param: 'temperature',
      code: 'invalid_type',
    });
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], temperature: 7 })).toMatchObject({
      status: 400,
      param: 'temperature',
      code: 'invalid_value',
    });
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'wizard', content: 'x' }] })).toMatchObject({ status: 400, param: 'messages[0].role' });
    expect(await chat({ model: 'gpt-test', messages: [] })).toMatchObject({ status: 400, param: 'messages' });
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'tool', content: 'x' }] })).toMatchObject({ status: 400, param: 'messages[0].tool_call_id' });
  });

  it('stream_options without stream: true → 400 naming stream_options, as OpenAI answers; null is accepted', async () => {
    const base = { model: 'gpt-test', messages: [{ role: 'user' as const, content: uniqueText('stream options') }] };
    for (const stream of [false, undefined]) {
      expect(await chat({ ...base, stream, stream_options: { include_usage: true } })).toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: 'stream_options',
        code: 'invalid_value',
        message: expect.stringContaining("only allowed when 'stream' is enabled") as unknown,
      });
    }
    const accepted = await gw.openai.chat.completions.create({ ...base, stream: false, stream_options: null });
    expect(accepted.object).toBe('chat.completion');
  });

  it('unknown model → 404 model_not_found', async () => {
    expect(await chat({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ status: 404, param: 'model', code: 'model_not_found' });
  });

  it('an embedding model on the chat route → 400', async () => {
    expect(await chat({ model: 'embed-test', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ status: 400, param: 'model' });
  });

  it('oversized body → 413', async () => {
    const big = 'x'.repeat(70 * 1024);
    expect(await chat({ model: 'gpt-test', messages: [{ role: 'user', content: big }] })).toMatchObject({ status: 413, code: 'request_too_large' });
  });

  it('missing or wrong key → 401', async () => {
    expect(await call('/v1/chat/completions', { body: '{}', auth: null })).toMatchObject({
      status: 401,
      type: 'authentication_error',
      code: 'missing_api_key',
    });
    expect(await call('/v1/chat/completions', { body: '{}', auth: 'Bearer sk-sy-nope' })).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(await call('/v1/models', { method: 'GET', auth: 'Basic abc' })).toMatchObject({ status: 401 });
  });

  it('the official client raises typed errors', async () => {
    const err = await gw.openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(404);
    expect((err as { constructor: { name: string } }).constructor.name).toBe('NotFoundError');
  });

  it('unknown route → 404 in OpenAI form', async () => {
    expect(await call('/v1/nothing-here', { body: '{}' })).toMatchObject({ status: 404, code: 'unknown_url' });
  });

  it('bad Idempotency-Key → 400', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(300) },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('bad idem') }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe('invalid_idempotency_key');
  });

  it('embeddings validate too', async () => {
    expect(await call('/v1/embeddings', { body: JSON.stringify({ model: 'embed-test' }) })).toMatchObject({ status: 400, param: 'input' });
    expect(await call('/v1/embeddings', { body: JSON.stringify({ model: 'gpt-test', input: 'x' }) })).toMatchObject({ status: 400, param: 'model' });
  });
});
