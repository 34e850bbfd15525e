import { setTimeout as delay } from 'node:timers/promises';
import { createLogger } from '../../observability/logger';
import { REQUEST_BODY_RETENTION_SCHEDULE_ID, ensureRequestBodyRetentionSchedule } from '../../temporal/request-body-retention';
import { newAccount, type TestAccount } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/** Log lines the gateway wrote, parsed. */
const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];
const destination = {
  write(chunk: string): void {
    raw.push(chunk);
    for (const line of chunk.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  },
};

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

function requestLine(requestId: string | null): Promise<Record<string, unknown>> {
  return waitFor(`the log line of ${requestId}`, () => lines.find((l) => l.msg === 'request' && l.requestId === requestId));
}

describe('structured request logs and opt-in body logging', () => {
  let gw: TestGateway;
  let on: TestAccount;
  let off: TestAccount;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    gw = await startTestGateway({ logger: createLogger({ level: 'info', destination }) });
    on = await newAccount(gw.gateway.pool, gw.url);
    off = await newAccount(gw.gateway.pool, gw.url);
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('writes one JSON line per request with ids, tenant, model, provider, status, latency, tokens and cost, and no secret or prompt', async () => {
    const secretPrompt = uniqueText('do not log this prompt');
    const res = await on.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: secretPrompt }] }).withResponse();
    const answer = res.data.choices[0]!.message.content!;
    const line = await requestLine(res.response.headers.get('x-request-id'));
    expect(line).toMatchObject({
      level: 30,
      route: '/v1/chat/completions',
      method: 'POST',
      status: 200,
      tenantId: on.tenantId,
      keyId: on.keyId,
      model: 'gpt-test',
      provider: 'oai',
      path: 'durable',
      fallbacks: 0,
      costUsd: expect.any(String),
      completed: true,
    });
    expect(line.inputTokens).toBeGreaterThan(0);
    expect(line.outputTokens).toBeGreaterThan(0);
    expect(line.latencyMs).toBeGreaterThan(0);

    // The fast path logs the same fields once its stream ends.
    const streamText = uniqueText('do not log this stream prompt');
    const stream = await on.openai.chat.completions
      .create({ model: 'claude-test', stream: true, messages: [{ role: 'user', content: streamText }] })
      .withResponse();
    let streamed = '';
    for await (const chunk of stream.data) streamed += chunk.choices[0]?.delta?.content ?? '';
    const streamLine = await requestLine(stream.response.headers.get('x-request-id'));
    expect(streamLine).toMatchObject({ status: 200, tenantId: on.tenantId, keyId: on.keyId, model: 'claude-test', provider: 'ant', path: 'stream' });
    expect(streamLine.outputTokens).toBeGreaterThan(0);

    // A refused key is logged without the key.
    const bad = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-sy-wrong-key-123' }, body: '{}' });
    const badLine = await requestLine(bad.headers.get('x-request-id'));
    expect(badLine).toMatchObject({ status: 401, errorType: 'invalid_api_key' });

    const all = raw.join('');
    for (const secret of [on.key, off.key, ADMIN_TOKEN, 'sk-sy-wrong-key-123', 'fake-upstream-key', secretPrompt, streamText, answer, streamed]) {
      expect(all).not.toContain(secret);
    }
  });

  it('stores request and response bodies only for the tenant that opted in, readable through the admin API', async () => {
    // Off by default.
    expect(await (await admin(`/admin/tenants/${on.tenantId}/body-logging`)).json()).toMatchObject({ enabled: false, retention_days: null });
    const put = await admin(`/admin/tenants/${on.tenantId}/body-logging`, { method: 'PUT', body: JSON.stringify({ enabled: true, retention_days: 3 }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ object: 'tenant.body_logging', tenant_id: on.tenantId, enabled: true, retention_days: 3 });

    const onText = uniqueText('logged prompt');
    const onRes = await on.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: onText }] }).withResponse();
    const onStream = await on.openai.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: uniqueText('logged stream') }],
    });
    for await (const _chunk of onStream) void _chunk;
    const offText = uniqueText('unlogged prompt');
    const offRes = await off.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: offText }] }).withResponse();
    await requestLine(offRes.response.headers.get('x-request-id'));

    const page = await waitFor('two logged bodies', async () => {
      const body = (await (await admin(`/admin/tenants/${on.tenantId}/request-bodies`)).json()) as { data: Array<Record<string, unknown>> };
      return body.data.length >= 2 ? body.data : undefined;
    });
    const sync = page.find((b) => b.request_id === onRes.response.headers.get('x-request-id'))!;
    expect(sync).toMatchObject({ object: 'request.body', key_id: on.keyId, route: '/v1/chat/completions', model: 'gpt-test', status: 200, truncated: false });
    expect(sync.request).toMatchObject({ model: 'gpt-test', messages: [{ role: 'user', content: onText }] });
    expect(JSON.parse(sync.response as string)).toMatchObject({
      object: 'chat.completion',
      choices: [{ message: { content: onRes.data.choices[0]!.message.content } }],
    });
    const streamed = page.find((b) => b.request_id !== sync.request_id)!;
    expect(streamed.response).toContain('data: [DONE]');
    expect((sync.expires_at as number) - (sync.created_at as number)).toBe(3 * 86_400);

    // The other tenant's request left nothing.
    const { rows } = await gw.gateway.pool.query('SELECT 1 FROM request_bodies WHERE tenant_id = $1', [off.tenantId]);
    expect(rows).toHaveLength(0);
    expect(((await (await admin(`/admin/tenants/${off.tenantId}/request-bodies`)).json()) as { data: unknown[] }).data).toEqual([]);

    // Turning it off stops new rows at once on this instance.
    await admin(`/admin/tenants/${on.tenantId}/body-logging`, { method: 'PUT', body: JSON.stringify({ enabled: false }) });
    const after = await on.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('after off') }] }).withResponse();
    await requestLine(after.response.headers.get('x-request-id'));
    await delay(200);
    const { rows: afterRows } = await gw.gateway.pool.query('SELECT 1 FROM request_bodies WHERE request_id = $1', [after.response.headers.get('x-request-id')]);
    expect(afterRows).toHaveLength(0);

    // The change is audited.
    const { rows: audit } = await gw.gateway.pool.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE entity_id = $1 AND action = 'set_body_logging' ORDER BY id",
      [on.tenantId],
    );
    expect(audit).toHaveLength(2);
  });

  it('refuses bad settings and unknown tenants with OpenAI-style errors', async () => {
    const bad = await admin(`/admin/tenants/${on.tenantId}/body-logging`, { method: 'PUT', body: JSON.stringify({ enabled: true, retention_days: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: 'retention_days', code: 'invalid_value' } });
    const missing = await admin(`/admin/tenants/${on.tenantId}/body-logging`, { method: 'PUT', body: JSON.stringify({}) });
    expect(missing.status).toBe(400);
    const unknown = await admin('/admin/tenants/no-such-tenant/body-logging', { method: 'PUT', body: JSON.stringify({ enabled: true }) });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'tenant_not_found' } });
    expect((await admin('/admin/tenants/no-such-tenant/request-bodies')).status).toBe(404);
    expect((await admin(`/admin/tenants/${on.tenantId}/request-bodies?limit=0`)).status).toBe(400);
    expect((await fetch(`${gw.url}/admin/tenants/${on.tenantId}/request-bodies`)).status).toBe(401);
  });

  it('deletes expired bodies when the retention Schedule runs, and keeps the rest', async () => {
    expect(await ensureRequestBodyRetentionSchedule(gw.gateway.client)).toBe('exists');
    const pool = gw.gateway.pool;
    const insert = (id: string, expires: string) =>
      pool.query(
        `INSERT INTO request_bodies (request_id, tenant_id, key_id, route, status, request_body, response_body, created_at, expires_at)
         VALUES ($1, $2, $3, '/v1/chat/completions', 200, '{}', 'x', now() - interval '2 days', now() + $4::interval)`,
        [id, on.tenantId, on.keyId, expires],
      );
    const expired = `req_expired_${Date.now()}`;
    const kept = `req_kept_${Date.now()}`;
    await insert(expired, '-1 hour');
    await insert(kept, '1 day');
    // Hidden from the admin API as soon as it expires, deleted by the next run.
    const listed = (await (await admin(`/admin/tenants/${on.tenantId}/request-bodies?limit=100`)).json()) as { data: Array<{ request_id: string }> };
    expect(listed.data.map((b) => b.request_id)).not.toContain(expired);

    await gw.gateway.client.schedule.getHandle(REQUEST_BODY_RETENTION_SCHEDULE_ID).trigger();
    await waitFor('the expired row to be deleted', async () => {
      const { rows } = await pool.query('SELECT 1 FROM request_bodies WHERE request_id = $1', [expired]);
      return rows.length === 0 ? true : undefined;
    });
    const { rows } = await pool.query('SELECT 1 FROM request_bodies WHERE request_id = $1', [kept]);
    expect(rows).toHaveLength(1);
  });
});
