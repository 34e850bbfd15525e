import http from 'node:http';
import { createBudget } from '../../db/ledger';
import { normalizeUsd, unitsToUsd, usdToUnits } from '../../prices/usd';
import { expectLedgerBalanced, newAccount, type TestAccount } from '../support/accounts';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface RawStream {
  readonly status: number;
  readonly body: string;
  readonly requestId: string;
  readonly trailers: NodeJS.Dict<string>;
}

/** Budgets on the streaming fast path, over HTTP: hold, then settle (trailer) or release. */
describe('budgets on streamed requests', () => {
  let gw: TestGateway;
  const tenants: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await gw.stop();
  });

  async function account(): Promise<TestAccount> {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    return a;
  }

  /** node:http, because fetch does not expose HTTP trailers. */
  function stream(key: string, body: unknown): Promise<RawStream> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${gw.url}/v1/chat/completions`,
        { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, requestId: String(res.headers['x-request-id']), trailers: res.trailers }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  async function usageRow(requestId: string): Promise<{ cost_usd: string; status: string }> {
    const { rows } = await gw.gateway.pool.query<{ cost_usd: string; status: string }>('SELECT cost_usd, status FROM usage_records WHERE request_id = $1', [
      requestId,
    ]);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  it('charges a stream and sends its cost as the x-switchyard-cost-usd trailer after [DONE]', async () => {
    const a = await account();
    const res = await stream(a.key, { model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('stream cost') }] });
    expect(res.status).toBe(200);
    expect(res.body).toContain('data: [DONE]');
    const cost = res.trailers['x-switchyard-cost-usd'];
    expect(cost).toMatch(/^\d+(\.\d+)?$/);
    expect(Number(cost)).toBeGreaterThan(0);
    const row = await usageRow(res.requestId);
    expect(normalizeUsd(row.cost_usd)).toBe(cost);
    expect(row.status).toBe('ok');
    // No budget applies to this account: nothing was held, settlement wrote the row itself.
    const { rows } = await gw.gateway.pool.query<{ state: string; amount_usd: string }>('SELECT state, amount_usd FROM reservations WHERE id = $1', [
      `stream-${res.requestId}`,
    ]);
    expect(rows.map((r) => ({ state: r.state, amount: normalizeUsd(r.amount_usd) }))).toEqual([{ state: 'settled', amount: '0' }]);
  });

  it('refuses streams past the budget with a JSON 429 before anything goes upstream', async () => {
    const a = await account();
    const text = uniqueText('stream race');
    const body = { model: 'gpt-test', stream: true, max_tokens: 16, messages: [{ role: 'user', content: text }] };
    // Probe on the unbudgeted test key: a budget's usage must all fall inside the budget's life.
    const probe = await stream(gw.key, body);
    const actual = usdToUnits(probe.trailers['x-switchyard-cost-usd']!);
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'day', limitUsd: unitsToUsd(actual * 6n) });
    const before = gw.fake.countFor(text);

    const results = await Promise.all(Array.from({ length: 40 }, () => stream(a.key, body)));
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    // Six fit at the actual cost (the estimate is at least that); one more of estimate slack.
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(7);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'budget_exceeded', type: 'rate_limit_error' } });
    }
    expect(gw.fake.countFor(text) - before).toBe(served.length);
  });

  it('hands the hold back when no deployment can stream', async () => {
    const a = await account();
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '5' });
    const res = await stream(a.key, { model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('stream fail', '#fault=400') }] });
    expect(res.status).toBe(400);
    const { rows } = await gw.gateway.pool.query<{ state: string }>('SELECT state FROM reservations WHERE id = $1', [`stream-${res.requestId}`]);
    expect(rows).toEqual([{ state: 'released' }]);
  });

  it('settles a stream the client abandoned mid-way from what was streamed', async () => {
    const a = await account();
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '5' });
    const text = uniqueText('stream abandon');
    let requestId = '';
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${gw.url}/v1/chat/completions`,
        { method: 'POST', headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' } },
        (res) => {
          requestId = String(res.headers['x-request-id']);
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end(JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: `${text} #fault=stall` }] }));
      setTimeout(() => reject(new Error('no first chunk')), 10_000).unref();
    });
    expect(requestId).toMatch(/^req_/);
    const deadline = Date.now() + 10_000;
    let state = '';
    while (Date.now() < deadline) {
      const { rows } = await gw.gateway.pool.query<{ state: string }>('SELECT state FROM reservations WHERE id = $1', [`stream-${requestId}`]);
      state = rows[0]?.state ?? '';
      if (state === 'settled') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe('settled');
    expect((await usageRow(requestId)).status).toBe('client_disconnected');
  });
});
