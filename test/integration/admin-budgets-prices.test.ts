import { newAccount } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/test-gateway';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe('admin budgets and prices', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  const admin = async (method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & ErrorBody };
  };

  it('creates, lists, reads, updates and deletes a budget', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    const created = await admin('POST', '/admin/budgets', { scope: 'team', scope_id: a.teamId, period: 'month', limit_usd: 25.5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'budget', tenant_id: a.tenantId, scope: 'team', scope_id: a.teamId, period: 'month', limit_usd: '25.5' });
    const id = created.body.id as string;

    const listed = await admin('GET', `/admin/budgets?tenant_id=${a.tenantId}`);
    expect(listed.status).toBe(200);
    expect((listed.body.data as Array<{ id: string }>).map((b) => b.id)).toEqual([id]);

    const read = await admin('GET', `/admin/budgets/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.current_period).toMatchObject({ spent_usd: '0', reserved_usd: '0', remaining_usd: '25.5' });
    expect(typeof (read.body.current_period as { resets_at: string }).resets_at).toBe('string');

    const patched = await admin('PATCH', `/admin/budgets/${id}`, { limit_usd: '30' });
    expect(patched.status).toBe(200);
    expect(patched.body.limit_usd).toBe('30');

    const duplicate = await admin('POST', '/admin/budgets', { scope: 'team', scope_id: a.teamId, period: 'month', limit_usd: 1 });
    expect({ status: duplicate.status, code: duplicate.body.error.code }).toEqual({ status: 409, code: 'budget_exists' });

    expect((await admin('DELETE', `/admin/budgets/${id}`)).body).toEqual({ id, object: 'budget', deleted: true });
    expect((await admin('GET', `/admin/budgets/${id}`)).status).toBe(404);
    expect((await admin('DELETE', `/admin/budgets/${id}`)).status).toBe(404);
    expect((await admin('PATCH', `/admin/budgets/${id}`, { limit_usd: 1 })).status).toBe(404);
  });

  it('answers bad budget input with OpenAI-style 400s and unknown scopes with 404', async () => {
    const cases: Array<[unknown, string]> = [
      [{ scope: 'galaxy', scope_id: 'x', period: 'day', limit_usd: 1 }, 'scope'],
      [{ scope: 'key', scope_id: 'x', period: 'week', limit_usd: 1 }, 'period'],
      [{ scope: 'key', scope_id: 'x', period: 'day', limit_usd: -1 }, 'limit_usd'],
      [{ scope: 'key', scope_id: 'x', period: 'day', limit_usd: 'lots' }, 'limit_usd'],
      [{ scope: 'key', period: 'day', limit_usd: 1 }, 'scope_id'],
      [{ scope: 'key', scope_id: 'x', period: 'day', limit_usd: 1, extra: true }, '(body)'],
    ];
    for (const [body, param] of cases) {
      const res = await admin('POST', '/admin/budgets', body);
      expect({ status: res.status, type: res.body.error.type }).toEqual({ status: 400, type: 'invalid_request_error' });
      if (param !== '(body)') expect(res.body.error.param).toBe(param);
    }
    const unknown = await admin('POST', '/admin/budgets', { scope: 'key', scope_id: 'key_nope', period: 'day', limit_usd: 1 });
    expect({ status: unknown.status, code: unknown.body.error.code }).toEqual({ status: 404, code: 'scope_not_found' });
    const noTenant = await admin('GET', '/admin/budgets');
    expect({ status: noTenant.status, param: noTenant.body.error.param }).toEqual({ status: 400, param: 'tenant_id' });
    expect((await admin('PATCH', '/admin/budgets/bud_x', { limit_usd: '1.00000000001' })).status).toBe(400);
  });

  it('lists prices and sets a new price version that is used at once', async () => {
    const listed = await admin('GET', '/admin/prices');
    expect(listed.status).toBe(200);
    const mini = (listed.body.data as Array<{ model: string; input_per_mtok: string }>).find((p) => p.model === 'gpt-4o-mini');
    expect(mini).toMatchObject({ input_per_mtok: '0.15' });

    const model = `test-model-${Date.now()}`;
    const put = await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: 1, output_per_mtok: '2.5', cached_input_per_mtok: 0.5 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ model, kind: 'chat', input_per_mtok: '1', output_per_mtok: '2.5', cached_input_per_mtok: '0.5', source: 'admin' });
    const again = await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: 2, output_per_mtok: 3 });
    expect(Number(again.body.id)).toBeGreaterThan(Number(put.body.id));
    expect((await gw.gateway.prices.get(model))?.inputPerMTokUsd).toBe('2');

    const bad = await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: -1, output_per_mtok: 1 });
    expect({ status: bad.status, param: bad.body.error.param }).toEqual({ status: 400, param: 'input_per_mtok' });
    expect((await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: 1 })).body.error.code).toBe('missing_required_parameter');
  });

  it('refuses calls without the admin token (401) and with a client key (401)', async () => {
    for (const [method, path] of [
      ['GET', '/admin/budgets?tenant_id=default'],
      ['POST', '/admin/budgets'],
      ['GET', '/admin/budgets/bud_x'],
      ['PATCH', '/admin/budgets/bud_x'],
      ['DELETE', '/admin/budgets/bud_x'],
      ['GET', '/admin/prices'],
      ['PUT', '/admin/prices/gpt-4o-mini'],
    ] as const) {
      expect((await admin(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, null)).status).toBe(401);
      expect((await admin(method, path, method === 'GET' || method === 'DELETE' ? undefined : {}, gw.key)).status).toBe(401);
    }
  });

  it('keeps the budget and price routes closed (403) when no admin token is configured', async () => {
    const closed = await startTestGateway({ adminToken: null });
    try {
      const res = await fetch(`${closed.url}/admin/prices`, { headers: { authorization: 'Bearer anything-at-all' } });
      expect(res.status).toBe(403);
    } finally {
      await closed.stop();
    }
  });
});
