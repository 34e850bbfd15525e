import OpenAI from 'openai';
import { uid } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface ChatBody {
  messages: Array<{ role: string; content: unknown }>;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
}

describe('key and tenant policies on the request path', () => {
  let gw: TestGateway;
  let tenantId: string;
  let client: OpenAI;
  beforeAll(async () => {
    gw = await startTestGateway();
    tenantId = uid('tenant');
    expect(
      (await admin('POST', '/admin/tenants', { id: tenantId, name: 'Policy tenant', system_prompt: 'Tenant rule.', denied_models: ['claude-test'] })).status,
    ).toBe(201);
    const created = await admin('POST', '/admin/keys', {
      name: 'policy key',
      tenant_id: tenantId,
      allowed_models: ['gpt-test', 'claude-test', 'embed-test'],
      max_tokens_cap: 50,
      temperature_cap: 0.4,
      system_prompt: 'Key rule.',
    });
    expect(created.status).toBe(201);
    client = new OpenAI({ apiKey: (created.body as { key: string }).key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 30_000 });
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }

  const upstreamBody = (text: string): ChatBody => {
    const seen = gw.fake.requests.filter((r) => r.lastUserText === text);
    expect(seen).toHaveLength(1);
    return seen[0]!.body as ChatBody;
  };

  it('lists only the models the key may use', async () => {
    const models = (await client.models.list()).data.map((m) => m.id).sort();
    expect(models).toEqual(['embed-test', 'gpt-test']);
  });

  it.each([
    ['a model outside the allowed list', 'bedrock-test'],
    ['a model the tenant denies', 'claude-test'],
  ])('refuses %s with 403 model_not_allowed on both paths, and nothing goes upstream', async (_label, model) => {
    const text = uniqueText('denied');
    for (const stream of [false, true]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${client.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: text }] }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    }
    expect(gw.fake.countFor(text)).toBe(0);
  });

  it('refuses a denied embedding model', async () => {
    const err = (await client.embeddings.create({ model: 'titan-test', input: 'x' }).catch((e: unknown) => e)) as { status: number; code: string };
    expect([err.status, err.code]).toEqual([403, 'model_not_allowed']);
    expect((await client.embeddings.create({ model: 'embed-test', input: 'x' })).data).toHaveLength(1);
  });

  it('durable path: the upstream sees both system prompts first, max_tokens clamped and temperature clamped', async () => {
    const text = uniqueText('durable policy');
    await client.chat.completions.create({ model: 'gpt-test', max_tokens: 500, temperature: 1.5, messages: [{ role: 'user', content: text }] });
    const body = upstreamBody(text);
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Tenant rule.\n\nKey rule.' });
    expect(body.messages[1]).toMatchObject({ role: 'user', content: text });
    expect(body.max_tokens ?? body.max_completion_tokens).toBe(50);
    expect(body.temperature).toBe(0.4);
  });

  it('streaming path: the same rules, and an absent max_tokens is set to the cap', async () => {
    const text = uniqueText('stream policy');
    const stream = await client.chat.completions.create({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: text }] });
    for await (const _chunk of stream) void _chunk;
    const body = upstreamBody(text);
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[0]!.content).toBe('Tenant rule.\n\nKey rule.');
    expect(body.max_completion_tokens ?? body.max_tokens).toBe(50);
    expect(body.temperature).toBe(0.4);
  });

  it('a tenant policy change applies at once on the instance that made it', async () => {
    expect((await admin('PATCH', `/admin/tenants/${tenantId}`, { denied_models: ['gpt-test'], system_prompt: null })).status).toBe(200);
    const err = (await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as {
      status: number;
    };
    expect(err.status).toBe(403);
    // The tenant's denied list was replaced: claude-test is allowed again, gpt-test is not.
    expect((await client.models.list()).data.map((m) => m.id).sort()).toEqual(['claude-test', 'embed-test']);
  });
});
