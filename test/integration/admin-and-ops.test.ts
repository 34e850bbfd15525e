import OpenAI from 'openai';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

describe('admin keys, models, embeddings, health and metrics', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ keyCacheTtlMs: 60_000 });
  });
  afterAll(async () => {
    await gw.stop();
  });

  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('issues a key once, stores only its hash, and revokes it at once on this instance', async () => {
    const res = await admin('POST', '/admin/keys', { name: 'ci' });
    expect(res.status).toBe(201);
    const issued = (await res.json()) as { id: string; key: string; prefix: string };
    expect(issued.key).toMatch(/^sk-sy-[A-Za-z0-9_-]{43}$/);
    expect(issued.key.startsWith(issued.prefix)).toBe(true);
    const stored = await gw.gateway.pool.query<{ key_hash: Buffer; key_prefix: string }>('SELECT key_hash, key_prefix FROM api_keys WHERE id = $1', [
      issued.id,
    ]);
    expect(stored.rows[0]!.key_hash.length).toBe(32);
    expect(JSON.stringify(stored.rows)).not.toContain(issued.key.slice(10));

    const client = new OpenAI({ apiKey: issued.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    expect((await admin('DELETE', `/admin/keys/${issued.id}`)).status).toBe(200);
    const err = await client.models.list().catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(401);
    expect((await admin('DELETE', `/admin/keys/${issued.id}`)).status).toBe(404);
  });

  it('refuses a wrong admin token and a client key on admin routes', async () => {
    expect((await admin('POST', '/admin/keys', { name: 'x' }, 'wrong-token')).status).toBe(401);
    expect((await admin('POST', '/admin/keys', { name: 'x' }, gw.key)).status).toBe(401);
    expect((await admin('POST', '/admin/keys', { nome: 'x' })).status).toBe(400);
  });

  it('keeps the admin API closed when no token is configured', async () => {
    const closed = await startTestGateway({ adminToken: null });
    try {
      const res = await fetch(`${closed.url}/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer anything-at-all' }, body: '{}' });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('admin_disabled');
    } finally {
      await closed.stop();
    }
  });

  it('lists the configured models', async () => {
    const models = await gw.openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['gpt-test', 'claude-test', 'bedrock-test', 'embed-test']));
  });

  it.each(['embed-test', 'titan-test'])('%s embeds through a workflow', async (model) => {
    const res = await gw.openai.embeddings.create({ model, input: ['first text', 'second text'] });
    expect(res.object).toBe('list');
    expect(res.data).toHaveLength(2);
    expect(res.data[1]!.index).toBe(1);
    expect(res.data[0]!.embedding.length).toBeGreaterThan(3);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('reports health and readiness', async () => {
    expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', temporal: 'ok' } });
  });

  it('exposes request, latency, token and error metrics by model, provider and status', async () => {
    await gw.openai.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: uniqueText('metrics') }] });
    await gw.openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    await gw.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('metrics fail', '#fault=400') }] })
      .catch(() => undefined);
    await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-sy-not-a-key' }, body: '{}' });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/switchyard_http_requests_total\{route="\/v1\/chat\/completions",model="claude-test",provider="ant",status="200"\} \d+/);
    expect(text).toMatch(
      /switchyard_http_request_duration_seconds_bucket\{le="[^"]+",route="\/v1\/chat\/completions",model="claude-test",provider="ant",status="200"\}/,
    );
    expect(text).toMatch(
      /gen_ai_client_token_usage_count\{gen_ai_token_type="input",gen_ai_request_model="claude-test",gen_ai_provider_name="ant",gen_ai_operation_name="chat"\} [1-9]/,
    );
    expect(text).toMatch(/switchyard_errors_total\{route="\/v1\/chat\/completions",model="none",provider="none",status="404",type="model_not_found"\} [1-9]/);
    // A failed durable request is counted under the provider that failed it; a bad key under its route.
    expect(text).toMatch(/switchyard_errors_total\{route="\/v1\/chat\/completions",model="gpt-test",provider="oai",status="400",type="[a-z_]+"\} [1-9]/);
    expect(text).toMatch(/switchyard_http_requests_total\{route="\/v1\/chat\/completions",model="none",provider="none",status="401"\} [1-9]/);
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain(gw.key);
  });
});
