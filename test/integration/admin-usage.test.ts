import { normalizeUsd } from '../../prices/usd';
import { newAccount, uid, type TestAccount } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface SumRow {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: string;
}

/** GET /admin/usage: filters, group_by, JSON and CSV, streamed raw export. */
describe('usage reports', () => {
  let gw: TestGateway;
  let a: TestAccount;
  let b: TestAccount;

  beforeAll(async () => {
    gw = await startTestGateway();
    a = await newAccount(gw.gateway.pool, gw.url);
    b = await newAccount(gw.gateway.pool, gw.url);
    // Real traffic: durable and streamed, two models, two tenants.
    await a.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('usage one') }] });
    await a.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('usage two words more') }] });
    await a.openai.chat.completions.create({ model: 'claude-test', messages: [{ role: 'user', content: uniqueText('usage three') }] });
    const stream = await a.openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: uniqueText('usage streamed') }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
    await b.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('other tenant') }] });
    // The stream settles after its last byte: wait until its record is there.
    await waitFor(async () => (await recordCount(a.tenantId)) === 4);
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function recordCount(tenantId: string): Promise<number> {
    const { rows } = await gw.gateway.pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_records WHERE tenant_id = $1', [tenantId]);
    return Number(rows[0]!.n);
  }

  function get(query: string, token: string = ADMIN_TOKEN): Promise<Response> {
    return fetch(`${gw.url}/admin/usage?${query}`, { headers: { authorization: `Bearer ${token}` } });
  }

  /** The expected sums straight from usage_records. */
  async function expectedSums(where: string, params: unknown[], groupSql: string): Promise<Array<Record<string, unknown>>> {
    const { rows } = await gw.gateway.pool.query<{ g: string | null; requests: string; i: string; o: string; c: string; cost: string }>(
      `SELECT ${groupSql} AS g, count(*) AS requests, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(cached_input_tokens) AS c, sum(cost_usd) AS cost
       FROM usage_records WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    return rows.map((r) => ({
      g: r.g,
      requests: Number(r.requests),
      input_tokens: Number(r.i),
      output_tokens: Number(r.o),
      cached_input_tokens: Number(r.c),
      cost_usd: normalizeUsd(r.cost),
    }));
  }

  it('sums per model for one tenant equal its usage records', async () => {
    const res = await get(`tenant_id=${a.tenantId}&group_by=model`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; group_by: string[]; data: Array<SumRow & { model: string }> };
    expect(body.object).toBe('list');
    expect(body.group_by).toEqual(['model']);
    const expected = await expectedSums('tenant_id = $1', [a.tenantId], 'model');
    expect(body.data.map(({ model, ...sums }) => ({ g: model, ...sums }))).toEqual(expected);
    expect(body.data.map((r) => r.model)).toEqual(['claude-test', 'gpt-test']);
    expect(body.data.find((r) => r.model === 'gpt-test')!.requests).toBe(3);
  });

  it('groups by tenant, provider and day, and filters by key and time', async () => {
    const res = await get(`key_id=${a.keyId}&group_by=tenant,provider,day`);
    const body = (await res.json()) as { data: Array<SumRow & { tenant_id: string; provider: string; day: string }> };
    const expected = await expectedSums('key_id = $1', [a.keyId], 'provider');
    expect(body.data.map((r) => r.tenant_id)).toEqual(expected.map(() => a.tenantId));
    expect(body.data.map(({ provider, requests, cost_usd }) => ({ provider, requests, cost_usd }))).toEqual(
      expected.map((e) => ({ provider: e.g, requests: e.requests, cost_usd: e.cost_usd })),
    );
    expect(body.data[0]!.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const future = await (await get(`tenant_id=${a.tenantId}&group_by=tenant&from=2999-01-01`)).json();
    expect(future).toEqual({ object: 'list', group_by: ['tenant'], data: [] });
  });

  it('answers CSV with a header and one line per group, and raw records as JSON', async () => {
    const res = await get(`tenant_id=${a.tenantId}&group_by=model&format=csv`);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('model,requests,input_tokens,output_tokens,cached_input_tokens,cost_usd');
    const expected = await expectedSums('tenant_id = $1', [a.tenantId], 'model');
    expect(lines.slice(1)).toEqual(expected.map((e) => [e.g, e.requests, e.input_tokens, e.output_tokens, e.cached_input_tokens, e.cost_usd].join(',')));

    const raw = (await (await get(`tenant_id=${a.tenantId}`)).json()) as { data: Array<{ tenant_id: string; cost_usd: string; request_id: string }> };
    expect(raw.data).toHaveLength(4);
    expect(new Set(raw.data.map((r) => r.tenant_id))).toEqual(new Set([a.tenantId]));
    const { rows } = await gw.gateway.pool.query<{ request_id: string }>('SELECT request_id FROM usage_records WHERE tenant_id = $1 ORDER BY id', [a.tenantId]);
    expect(raw.data.map((r) => r.request_id)).toEqual(rows.map((r) => r.request_id));
  });

  it('groups by tag key and value', async () => {
    const t = await newAccount(gw.gateway.pool, gw.url);
    await insertUsage(t, 3, { project: 'apollo', env: 'prod' });
    await insertUsage(t, 2, { project: 'gemini' });
    await insertUsage(t, 1, {});
    const body = (await (await get(`tenant_id=${t.tenantId}&group_by=tag`)).json()) as {
      data: Array<SumRow & { tag_key: string | null; tag_value: string | null }>;
    };
    expect(body.data.map((r) => [r.tag_key, r.tag_value, r.requests, r.cost_usd])).toEqual([
      ['env', 'prod', 3, '0.000003'],
      ['project', 'apollo', 3, '0.000003'],
      ['project', 'gemini', 2, '0.000002'],
      [null, null, 1, '0.000001'],
    ]);
  });

  it('streams a 20k-record export in many chunks, as CSV and as JSON', async () => {
    const t = await newAccount(gw.gateway.pool, gw.url);
    await insertUsage(t, 20_000, { batch: 'big' });
    const csv = await readChunks(await get(`tenant_id=${t.tenantId}&format=csv`));
    expect(csv.chunks).toBeGreaterThan(5);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,request_id,created_at,tenant_id,team_id,key_id,model,provider,deployment,input_tokens,output_tokens,cached_input_tokens,cost_usd,latency_ms,status,tags',
    );
    expect(lines).toHaveLength(20_001);
    expect(lines[1]).toContain(`,${t.tenantId},${t.teamId},${t.keyId},bulk-model,oai,gpt-4o-mini,10,5,0,0.000001,,ok,"{""batch"":""big""}"`);

    const json = await readChunks(await get(`tenant_id=${t.tenantId}`));
    expect(json.chunks).toBeGreaterThan(5);
    const data = (JSON.parse(json.text) as { data: Array<{ id: string }> }).data;
    expect(data).toHaveLength(20_000);
    expect(new Set(data.map((r) => r.id)).size).toBe(20_000);
  });

  it('refuses bad parameters with OpenAI-style 400s, and callers without the admin token', async () => {
    const cases: Array<[string, string]> = [
      ['group_by=colour', 'group_by'],
      ['group_by=model,model', 'group_by'],
      ['from=yesterday', 'from'],
      ['from=2025-02-01&to=2025-01-01', 'from'],
      ['format=xml', 'format'],
      ['tenant=x', '(body)'],
    ];
    for (const [query, param] of cases) {
      const res = await get(query);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      const body = (await res.json()) as { error: { type: string; param: string } };
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.param).toBe(param);
    }
    expect((await get('group_by=model', 'not-the-token-0123456789')).status).toBe(401);
  });

  /** Usage rows written directly (each with its settled reservation), 1e-6 USD each. */
  async function insertUsage(t: TestAccount, count: number, tags: Record<string, string>): Promise<void> {
    await gw.gateway.pool.query(
      `WITH r AS (
         INSERT INTO reservations (id, tenant_id, team_id, key_id, amount_usd, state, actual_cost_usd, expires_at, created_at, settled_at)
         SELECT $1 || '-' || g, $2, $3, $4, 0.000001, 'settled', 0.000001, now(), now(), now() FROM generate_series(1, $5::int) g
         RETURNING id)
       INSERT INTO usage_records (request_id, reservation_id, tenant_id, team_id, key_id, model, provider, deployment,
         input_tokens, output_tokens, cost_usd, status, tags)
       SELECT id, id, $2, $3, $4, 'bulk-model', 'oai', 'gpt-4o-mini', 10, 5, 0.000001, 'ok', $6::jsonb FROM r`,
      [uid('bulk'), t.tenantId, t.teamId, t.keyId, count, JSON.stringify(tags)],
    );
  }
});

async function readChunks(res: Response): Promise<{ text: string; chunks: number }> {
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks += 1;
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), chunks };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
