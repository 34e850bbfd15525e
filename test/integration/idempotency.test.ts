import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

describe('Idempotency-Key on the durable path', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  const post = (body: unknown, idempotencyKey: string, key = gw.key) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });

  it('answers a retried request with the first result and calls the provider once', async () => {
    const text = uniqueText('idempotent');
    const body = { model: 'gpt-test', messages: [{ role: 'user', content: text }] };
    const idem = `idem-${Math.random()}`;
    const first = await post(body, idem);
    const second = await post(body, idem);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const [a, b] = (await Promise.all([first.json(), second.json()])) as Array<{ id: string }>;
    expect(b).toEqual(a);
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('joins concurrent duplicates onto one execution', async () => {
    const text = uniqueText('concurrent idempotent', '#delay=300');
    const body = { model: 'claude-test', messages: [{ role: 'user', content: text }] };
    const idem = `idem-${Math.random()}`;
    const responses = await Promise.all([post(body, idem), post(body, idem), post(body, idem)]);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(ids).size).toBe(1);
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('works through the openai client with the header set per request', async () => {
    const text = uniqueText('sdk idempotent');
    const params = { model: 'bedrock-test', messages: [{ role: 'user' as const, content: text }] };
    const options = { headers: { 'Idempotency-Key': `sdk-${Math.random()}` } };
    const a = await gw.openai.chat.completions.create(params, options);
    const b = await gw.openai.chat.completions.create(params, options);
    expect(b.id).toBe(a.id);
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('refuses the same key with a different body with 409', async () => {
    const idem = `idem-${Math.random()}`;
    expect((await post({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('one') }] }, idem)).status).toBe(200);
    const conflict = await post({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('two') }] }, idem);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({
      error: { message: expect.stringContaining('Idempotency-Key') as unknown, type: 'invalid_request_error', param: null, code: 'idempotency_key_reused' },
    });
  });

  it('replays a failure as the same failure without calling the provider again', async () => {
    const text = uniqueText('idempotent failure', '#fault=400');
    const body = { model: 'gpt-test', messages: [{ role: 'user', content: text }] };
    const idem = `idem-${Math.random()}`;
    const first = await post(body, idem);
    const second = await post(body, idem);
    expect(first.status).toBe(400);
    expect(second.status).toBe(400);
    expect(await second.json()).toEqual(await first.json());
    expect(gw.fake.countFor(text)).toBe(1);
  });

  it('scopes keys to the caller: another client key with the same Idempotency-Key gets its own answer', async () => {
    const admin = await fetch(`${gw.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other caller' }),
    });
    const other = ((await admin.json()) as { key: string }).key;
    const text = uniqueText('scoped');
    const body = { model: 'gpt-test', messages: [{ role: 'user', content: text }] };
    const a = (await (await post(body, 'shared-key')).json()) as { id: string };
    const b = (await (await post(body, 'shared-key', other)).json()) as { id: string };
    expect(a.id).not.toBe(b.id);
    expect(gw.fake.countFor(text)).toBe(2);
  });
});

describe('Idempotency-Key window', () => {
  const WINDOW_MS = 1500;
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      configOverrides: { limits: { max_body_bytes: 64 * 1024, idempotency_window_hours: WINDOW_MS / 3_600_000 } },
    });
  });
  afterAll(async () => {
    await gw.stop();
  });

  const post = (content: string, idempotencyKey: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content }] }),
    });

  it('forgets a key after its window: the same body is answered afresh and another body is accepted', async () => {
    const idem = `window-${Math.random()}`;
    const text = uniqueText('window first');
    const other = uniqueText('window other');
    expect((await post(text, idem)).status).toBe(200);
    expect((await post(other, idem)).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 500));
    expect((await post(other, idem)).status).toBe(200);
    expect(gw.fake.countFor(other)).toBe(1);
    // The key now belongs to `other`; the first body is a conflict within the new window.
    expect((await post(text, idem)).status).toBe(409);
    expect(gw.fake.countFor(text)).toBe(1);
  });
});
