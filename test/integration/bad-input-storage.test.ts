import { setTimeout as delay } from 'node:timers/promises';
import { newAccount, type TestAccount } from '../support/accounts';
import { jsonl, uploadBatchFile, chatLine } from '../support/batches';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * Values Postgres cannot store (NUL, unpaired surrogates, out-of-range timestamps) are the
 * client's mistake: a 400 in OpenAI's shape, never a 500. Body logging stores them escaped.
 */
describe('values Postgres cannot store get a 400, never a 500', () => {
  let gw: TestGateway;
  let account: TestAccount;

  beforeAll(async () => {
    gw = await startTestGateway();
    account = await newAccount(gw.gateway.pool, gw.url);
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function call(path: string, init: { method?: string; body?: unknown; auth?: string } = {}) {
    const res = await fetch(`${gw.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.auth ?? account.key}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body.error ?? {}).sort()).toEqual(['code', 'message', 'param', 'type']);
    return { status: res.status, ...body.error };
  }
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) => call(path, { ...init, auth: ADMIN_TOKEN });

  it('a NUL in a path id or a list cursor of the client API → 400 invalid_value', async () => {
    const nul = { status: 400, type: 'invalid_request_error', code: 'invalid_value' };
    expect(await call('/v1/files/file-%00')).toMatchObject(nul);
    expect(await call('/v1/files/file-%00/content')).toMatchObject(nul);
    expect(await call('/v1/files/file-%00', { method: 'DELETE' })).toMatchObject(nul);
    expect(await call('/v1/files?after=%00')).toMatchObject(nul);
    expect(await call('/v1/batches/batch_%00')).toMatchObject(nul);
    expect(await call('/v1/batches?after=%00')).toMatchObject(nul);
    // The message explains without echoing the raw value.
    const { message } = await call('/v1/batches?after=a%00b');
    expect(message).toMatch(/cannot be stored/);
    expect(message).not.toContain('\u0000');
  });

  it('batch metadata with a NUL or an unpaired surrogate → 400', async () => {
    const file = await uploadBatchFile(account.openai, jsonl([chatLine('one', 'gpt-test', uniqueText('nul metadata'))]));
    const create = (value: string) =>
      call('/v1/batches', {
        method: 'POST',
        body: { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { note: value } },
      });
    expect(await create('a\u0000b')).toMatchObject({ status: 400, code: 'invalid_value' });
    expect(await create('a\ud800b')).toMatchObject({ status: 400, code: 'invalid_value' });
    // Nothing was half-created.
    const { rows } = await gw.gateway.pool.query('SELECT 1 FROM batches WHERE input_file_id = $1', [file.id]);
    expect(rows).toHaveLength(0);
  });

  it('a batch input file whose custom_id holds a NUL → 400', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([jsonl([chatLine('nul\u0000id', 'gpt-test', 'hi')])]), 'nul.jsonl');
    const res = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${account.key}` }, body: form });
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('a NUL in admin input → 400', async () => {
    expect(await admin('/admin/keys', { method: 'POST', body: { name: 'bad\u0000name', tenant_id: account.tenantId } })).toMatchObject({
      status: 400,
      code: 'invalid_value',
    });
    expect(await admin('/admin/keys/%00')).toMatchObject({ status: 400, code: 'invalid_value' });
    expect(await admin(`/admin/keys?tenant_id=%00`)).toMatchObject({ status: 400, code: 'invalid_value' });
    expect(await admin('/admin/audit?tenant_id=%00')).toMatchObject({ status: 400, code: 'invalid_value' });
  });

  it('no route answers a NUL or an unpaired surrogate with a 5xx', async () => {
    const N = '\u0000';
    const S = '\ud800';
    const t = account.tenantId;
    const cases: Array<[string, string, unknown?]> = [
      ['POST', '/v1/batches/batch_%00/cancel'],
      ['GET', '/v1/files?purpose=%00'],
      ['POST', '/admin/tenants', { id: `t_${Date.now()}`, name: `n${N}` }],
      ['POST', '/admin/tenants', { id: `t_${Date.now()}`, name: 'n', system_prompt: `p${N}` }],
      ['POST', '/admin/tenants', { id: `t_${Date.now()}`, name: 'n', allowed_models: [`m${N}`] }],
      ['POST', '/admin/tenants', { id: `t_${Date.now()}`, name: `n${S}` }],
      ['PATCH', `/admin/tenants/${t}`, { name: `n${N}` }],
      ['GET', '/admin/tenants/%00'],
      ['GET', '/admin/tenants?after=%00'],
      ['POST', '/admin/teams', { id: `team_${Date.now()}`, tenant_id: t, name: `n${N}` }],
      ['POST', '/admin/teams', { id: `team_${Date.now()}`, tenant_id: `x${N}`, name: 'n' }],
      ['GET', '/admin/teams/%00'],
      ['GET', '/admin/teams?tenant_id=%00'],
      ['POST', '/admin/keys', { name: 'k', tenant_id: t, tags: { team: `a${N}` } }],
      ['POST', '/admin/keys', { name: `k${S}`, tenant_id: t }],
      ['POST', '/admin/keys', { name: 'k', tenant_id: `x${N}` }],
      ['PATCH', `/admin/keys/${account.keyId}`, { name: `k${N}` }],
      ['PATCH', '/admin/keys/%00', { name: 'k' }],
      ['DELETE', '/admin/keys/%00'],
      ['GET', `/admin/keys?tenant_id=${t}&after=%00`],
      ['POST', '/admin/keys/%00/rotate', {}],
      ['GET', '/admin/rotations/%00'],
      ['GET', '/admin/rotations?key_id=%00'],
      ['POST', '/admin/credentials', { provider: 'oai', secret: `secret-${N}-value` }],
      ['POST', '/admin/credentials', { provider: `oai${N}`, secret: 'secret-value' }],
      ['POST', '/admin/credentials', { provider: 'oai', reference: `file:/tmp/cred${N}` }],
      ['POST', '/admin/credentials/%00/rotate', { secret: 'secret-value' }],
      ['GET', '/admin/credentials/%00'],
      ['DELETE', '/admin/credentials/%00'],
      ['GET', '/admin/usage?tenant_id=%00'],
      ['GET', '/admin/usage?model=%00'],
      ['GET', '/admin/usage?from=0000-01-01'],
      ['GET', '/admin/audit?from=0000-01-01T00:00:00Z'],
      ['GET', '/admin/budget-alerts?tenant_id=%00'],
      ['POST', '/admin/budgets', { scope: 'tenant', scope_id: `x${N}`, period: 'day', limit_usd: '1' }],
      ['GET', '/admin/budgets/%00'],
      ['GET', '/admin/budgets?tenant_id=%00'],
      ['PUT', '/admin/prices/%00', { input_per_million: '1', output_per_million: '1' }],
      ['PUT', '/admin/tenants/%00/alert-webhook', { url: null }],
      ['GET', '/admin/rate-limits/tenant/%00'],
      ['PUT', '/admin/rate-limits/tenant/%00', { rpm: 10, tpm: 1000 }],
      ['GET', '/admin/tenants/%00/body-logging'],
      ['PUT', '/admin/tenants/%00/body-logging', { enabled: true }],
      ['GET', `/admin/tenants/${t}/request-bodies?after=%00`],
    ];
    const failures: string[] = [];
    for (const [method, path, body] of cases) {
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${path.startsWith('/admin') ? ADMIN_TOKEN : account.key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = (await res.json()) as Partial<ErrorBody>;
      const shaped = answer.error !== undefined && Object.keys(answer.error).sort().join() === 'code,message,param,type';
      // Some are stored (Postgres turns an unpaired surrogate in `text` into U+FFFD): fine, as long as no 5xx.
      if (res.status >= 500 || (res.status >= 400 && !shaped))
        failures.push(`${method} ${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(answer)}`);
    }
    expect(failures).toEqual([]);
  });

  it('timestamps beyond what a date can hold → 400 naming the field', async () => {
    expect(await admin('/admin/keys', { method: 'POST', body: { name: 'x', tenant_id: account.tenantId, expires_at: 10_000_000_000_000 } })).toMatchObject({
      status: 400,
      param: 'expires_at',
      code: 'invalid_value',
    });
    expect(await admin(`/admin/keys/${account.keyId}`, { method: 'PATCH', body: { expires_at: 99_999_999_999_999 } })).toMatchObject({
      status: 400,
      param: 'expires_at',
      code: 'invalid_value',
    });
    expect(await admin('/admin/audit?from=99999999999999')).toMatchObject({ status: 400, param: 'from', code: 'invalid_value' });
    expect(await admin('/admin/audit?to=0000-01-01T00:00:00Z')).toMatchObject({ status: 400, param: 'to', code: 'invalid_value' });
    // The last second of year 9999 is still a date.
    const edge = await fetch(`${gw.url}/admin/audit?to=253402300799`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(edge.status).toBe(200);
  });

  it('body logging stores a request whose text holds a NUL or an unpaired surrogate, and the request is served unchanged', async () => {
    const logged = await newAccount(gw.gateway.pool, gw.url);
    const put = await fetch(`${gw.url}/admin/tenants/${logged.tenantId}/body-logging`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, retention_days: 1 }),
    });
    expect(put.status).toBe(200);

    const text = `${uniqueText('logged nul')} a\u0000b c\ud800d`;
    const res = await logged.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(res.response.status).toBe(200);
    const requestId = res.response.headers.get('x-request-id');

    const deadline = Date.now() + 10_000;
    let stored: Record<string, unknown> | undefined;
    while (!stored && Date.now() < deadline) {
      const page = (await (
        await fetch(`${gw.url}/admin/tenants/${logged.tenantId}/request-bodies`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      ).json()) as { data: Array<Record<string, unknown>> };
      stored = page.data.find((b) => b.request_id === requestId);
      if (!stored) await delay(100);
    }
    expect(stored).toBeDefined();
    // Escaped as visible text: the stored prompt still shows where the odd characters were.
    expect(stored!.request).toMatchObject({ messages: [{ role: 'user', content: text.replace('\u0000', '\\u0000').replace('\ud800', '\\ud800') }] });
  });
});
