import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { uid } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/test-gateway';

type Json = Record<string, unknown> & { error: { code: string; message: string; type: string } };

const TTL_MS = 1000;

async function call(gw: TestGateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Polls until `probe` holds or `ms` pass; returns the elapsed milliseconds, or -1. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await probe()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  return -1;
}

describe('accounts admin: tenants, teams, keys and the audit log', () => {
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    // Two gateway instances on the same Postgres, with a short key cache.
    a = await startTestGateway({ keyCacheTtlMs: TTL_MS });
    b = await startTestGateway({ keyCacheTtlMs: TTL_MS });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const admin = (method: string, path: string, body?: unknown) => call(a, method, path, body);

  it('creates, reads, renames and deletes tenants and teams', async () => {
    const tenantId = uid('tenant');
    expect((await admin('POST', '/admin/tenants', { id: tenantId, name: 'Acme', max_tokens_cap: 10 })).body).toMatchObject({
      id: tenantId,
      object: 'tenant',
      name: 'Acme',
      max_tokens_cap: 10,
      allowed_models: null,
      denied_models: [],
    });
    expect((await admin('POST', '/admin/tenants', { id: tenantId, name: 'again' })).body.error.code).toBe('tenant_exists');
    expect((await admin('POST', '/admin/tenants', { id: 'bad id!', name: 'x' })).status).toBe(400);
    expect((await admin('PATCH', `/admin/tenants/${tenantId}`, { name: 'Acme Inc', max_tokens_cap: null })).body).toMatchObject({
      name: 'Acme Inc',
      max_tokens_cap: null,
    });
    const listed = await admin('GET', `/admin/tenants?limit=1000`);
    expect((listed.body.data as Array<{ id: string }>).map((t) => t.id)).toContain(tenantId);

    const teamId = uid('team');
    expect((await admin('POST', '/admin/teams', { id: teamId, tenant_id: 'nope', name: 'x' })).body.error.code).toBe('tenant_not_found');
    expect((await admin('POST', '/admin/teams', { id: teamId, tenant_id: tenantId, name: 'Research' })).status).toBe(201);
    expect((await admin('POST', '/admin/teams', { id: uid('team'), tenant_id: tenantId, name: 'Research' })).body.error.code).toBe('team_exists');
    expect((await admin('PATCH', `/admin/teams/${teamId}`, { name: 'R&D' })).body).toMatchObject({ id: teamId, tenant_id: tenantId, name: 'R&D' });
    expect(((await admin('GET', `/admin/teams?tenant_id=${tenantId}`)).body.data as unknown[]).length).toBe(1);
    expect((await admin('DELETE', `/admin/tenants/${tenantId}`)).body.error.code).toBe('tenant_not_empty');
    expect((await admin('DELETE', `/admin/teams/${teamId}`)).body).toEqual({ id: teamId, object: 'team', deleted: true });
    expect((await admin('GET', `/admin/teams/${teamId}`)).status).toBe(404);
    expect((await admin('DELETE', `/admin/tenants/${tenantId}`)).body).toEqual({ id: tenantId, object: 'tenant', deleted: true });
    expect((await admin('GET', `/admin/tenants/${tenantId}`)).status).toBe(404);
  });

  it('never deletes the default tenant, with its own 409 code', async () => {
    const refused = await admin('DELETE', '/admin/tenants/default');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      message: 'The default tenant cannot be deleted.',
      type: 'conflict_error',
      param: null,
      code: 'default_tenant_protected',
    });
    expect((await admin('GET', '/admin/tenants/default')).status).toBe(200);
  });

  it('issues keys with team, expiry, tags and rules; lists them by prefix without secrets; patches and revokes them', async () => {
    const tenantId = uid('tenant');
    const teamId = uid('team');
    await admin('POST', '/admin/tenants', { id: tenantId, name: 't' });
    await admin('POST', '/admin/teams', { id: teamId, tenant_id: tenantId, name: 'team' });
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const created = await admin('POST', '/admin/keys', {
      name: 'svc',
      team_id: teamId,
      expires_at: expiresAt,
      tags: { cost_center: 'cc-42' },
      denied_models: ['bedrock-test'],
      temperature_cap: 0.7,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: 'key',
      name: 'svc',
      tenant_id: tenantId,
      team_id: teamId,
      status: 'active',
      expires_at: expiresAt,
      tags: { cost_center: 'cc-42' },
      denied_models: ['bedrock-test'],
      temperature_cap: 0.7,
    });
    const id = created.body.id as string;
    const secret = created.body.key as string;
    expect(secret.startsWith(created.body.prefix as string)).toBe(true);
    const other = await admin('POST', '/admin/teams', { id: uid('team'), tenant_id: 'default', name: uid('n') });
    expect((await admin('POST', '/admin/keys', { name: 'x', tenant_id: tenantId, team_id: other.body.id })).status).toBe(400);

    const listed = await admin('GET', `/admin/keys?tenant_id=${tenantId}`);
    expect((listed.body.data as Array<{ id: string }>).map((k) => k.id)).toEqual([id]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(12));
    expect(JSON.stringify(listed.body)).not.toMatch(/hash/);
    expect((await admin('GET', `/admin/keys/${id}`)).body).not.toHaveProperty('key');

    const patched = await admin('PATCH', `/admin/keys/${id}`, { name: 'svc-2', expires_at: null, allowed_models: ['gpt-test'], tags: { cost_center: 'cc-7' } });
    expect(patched.body).toMatchObject({
      name: 'svc-2',
      expires_at: null,
      allowed_models: ['gpt-test'],
      denied_models: ['bedrock-test'],
      temperature_cap: 0.7,
    });
    expect((await admin('PATCH', `/admin/keys/${id}`, { temperature_cap: 3 })).status).toBe(400);
    expect((await admin('DELETE', `/admin/keys/${id}`)).status).toBe(200);
    expect((await admin('GET', `/admin/keys/${id}`)).body.status).toBe('revoked');
    expect((await admin('PATCH', `/admin/keys/${id}`, { disabled: false })).body.error.code).toBe('key_revoked');
    expect((await admin('GET', '/admin/keys')).body.error.code).toBe('missing_required_parameter');
  });

  it('refuses disabled and expired keys with 401 invalid_api_key and a clear message', async () => {
    const created = await admin('POST', '/admin/keys', { name: 'toggle' });
    const id = created.body.id as string;
    const client = new OpenAI({ apiKey: created.body.key as string, baseURL: `${a.url}/v1`, maxRetries: 0 });
    expect((await client.models.list()).data.length).toBeGreaterThan(0);
    await admin('PATCH', `/admin/keys/${id}`, { disabled: true });
    const disabled = (await client.models.list().catch((e: unknown) => e)) as { status: number; code: string; message: string };
    expect([disabled.status, disabled.code]).toEqual([401, 'invalid_api_key']);
    expect(disabled.message).toMatch(/disabled/);
    await admin('PATCH', `/admin/keys/${id}`, { disabled: false });
    expect((await client.models.list()).data.length).toBeGreaterThan(0);

    const past = await admin('POST', '/admin/keys', { name: 'old', expires_at: new Date(Date.now() - 1000).toISOString() });
    const expired = new OpenAI({ apiKey: past.body.key as string, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const err = (await expired.models.list().catch((e: unknown) => e)) as { status: number; message: string };
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/expired/);
  });

  it(`a revoke or disable on instance A is refused by instance B within the cache TTL (${TTL_MS} ms) + 1 s`, async () => {
    for (const change of ['revoke', 'disable'] as const) {
      const created = await admin('POST', '/admin/keys', { name: `two-instances-${change}` });
      const id = created.body.id as string;
      const onB = new OpenAI({ apiKey: created.body.key as string, baseURL: `${b.url}/v1`, maxRetries: 0 });
      // B caches the live key first, so the test measures propagation, not a cold lookup.
      expect((await onB.models.list()).data.length).toBeGreaterThan(0);
      const res = change === 'revoke' ? await admin('DELETE', `/admin/keys/${id}`) : await admin('PATCH', `/admin/keys/${id}`, { disabled: true });
      expect(res.status).toBe(200);
      const elapsed = await within(TTL_MS + 1000, async () => {
        const r = await fetch(`${b.url}/v1/models`, { headers: { authorization: `Bearer ${created.body.key as string}` } });
        return r.status === 401;
      });
      expect(elapsed).toBeGreaterThanOrEqual(0);
    }
  });

  it('writes an audit row per change, with before/after and the token fingerprint, and exports it as JSON and CSV', async () => {
    const tenantId = uid('tenant');
    await admin('POST', '/admin/tenants', { id: tenantId, name: 'audited' });
    const key = await admin('POST', '/admin/keys', { name: 'audited key', tenant_id: tenantId });
    await admin('PATCH', `/admin/keys/${key.body.id as string}`, { disabled: true });
    const budget = await admin('POST', '/admin/budgets', { scope: 'tenant', scope_id: tenantId, period: 'day', limit_usd: 5 });
    await admin('PATCH', `/admin/budgets/${budget.body.id as string}`, { limit_usd: 6 });
    await admin('DELETE', `/admin/budgets/${budget.body.id as string}`);
    // A failed change writes nothing.
    expect((await admin('PATCH', `/admin/budgets/${budget.body.id as string}`, { limit_usd: 7 })).status).toBe(404);

    const res = await fetch(`${a.url}/admin/audit?tenant_id=${tenantId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const rows = ((await res.json()) as { data: Array<Record<string, unknown>> }).data;
    expect(rows.map((r) => `${r.entity_type as string}:${r.action as string}`)).toEqual([
      'tenant:create',
      'key:create',
      'key:update',
      'budget:create',
      'budget:update',
      'budget:delete',
    ]);
    const fingerprint = `admin:${createHash('sha256').update(ADMIN_TOKEN).digest('hex').slice(0, 16)}`;
    expect(rows.every((r) => r.actor === fingerprint)).toBe(true);
    expect(rows[2]).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
    expect(rows[4]).toMatchObject({ before: { limit_usd: '5' }, after: { limit_usd: '6' } });
    expect(rows[5]!.after).toBeNull();
    expect(JSON.stringify(rows)).not.toContain(ADMIN_TOKEN);
    expect(JSON.stringify(rows)).not.toContain(key.body.key as string);

    const csv = await fetch(`${a.url}/admin/audit?tenant_id=${tenantId}&entity_type=budget&format=csv`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,entity_type,entity_id,tenant_id,before,after');
    expect(lines.slice(1).map((l) => l.split(',')[3])).toEqual(['create', 'update', 'delete']);

    const future = await admin('GET', `/admin/audit?tenant_id=${tenantId}&from=${Math.floor(Date.now() / 1000) + 60}`);
    expect(future.body.data).toEqual([]);
    expect((await admin('GET', '/admin/audit?entity_type=galaxy')).status).toBe(400);
  });

  it('audits price changes as global rows', async () => {
    const model = uid('audit-model');
    await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: 1, output_per_mtok: 2 });
    await admin('PUT', `/admin/prices/${model}`, { input_per_mtok: 3, output_per_mtok: 4 });
    const { rows } = await a.gateway.pool.query<{ action: string; before: { input_per_mtok: string } | null; after: { input_per_mtok: string } }>(
      "SELECT action, before, after FROM audit_log WHERE entity_type = 'price' AND entity_id = $1 ORDER BY id",
      [model],
    );
    expect(rows.map((r) => [r.action, r.before?.input_per_mtok ?? null, r.after.input_per_mtok])).toEqual([
      ['set', null, '1'],
      ['set', '1', '3'],
    ]);
  });
});
