import type OpenAI from 'openai';
import { budgetStatus, createBudget } from '../../db/ledger';
import { findCurrentPrice } from '../../prices/price-store';
import { normalizeUsd, unitsToUsd, usdToUnits } from '../../prices/usd';
import { estimateChatCost } from '../../tokens/estimate';
import { expectLedgerBalanced, newAccount, type TestAccount } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

interface ApiErrorLike {
  status: number;
  code: string | null;
  message: string;
  headers: Headers;
}

/** Budgets on the durable path: reserve before the upstream call, settle or release after. */
describe('budgets on durable requests', () => {
  let gw: TestGateway;
  const tenants: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    // (b) after every test: the usage records of each budget's scope sum to exactly its spent.
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await gw.stop();
  });

  async function account(): Promise<TestAccount> {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    return a;
  }

  async function usageCost(requestId: string | null): Promise<string> {
    const { rows } = await gw.gateway.pool.query<{ cost_usd: string }>('SELECT cost_usd FROM usage_records WHERE request_id = $1', [requestId]);
    expect(rows).toHaveLength(1);
    return normalizeUsd(rows[0]!.cost_usd);
  }

  it('lets at most 10 (+1 estimate of slack) of 200 concurrent requests through a budget that fits 10', async () => {
    const a = await account();
    const text = uniqueText('budget race');
    // Calibrate on the unbudgeted test key: one request's actual cost (the fake answers the same
    // text the same way), with the output capped at what the fake answers so the estimate stays
    // close to it. "Fits 10" = ten requests' actual cost.
    const probe = await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] });
    const request: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
      model: 'gpt-test',
      messages: [{ role: 'user', content: text }],
      max_tokens: probe.usage!.completion_tokens,
    };
    const calibrated = await gw.openai.chat.completions.create(request).withResponse();
    const actual = usdToUnits(calibrated.response.headers.get('x-switchyard-cost-usd')!);
    const price = await findCurrentPrice(gw.gateway.pool, 'gpt-4o-mini');
    const estimate = usdToUnits(estimateChatCost(request, 'gpt-4o-mini', price!).costUsd);
    expect(estimate).toBeGreaterThanOrEqual(actual);
    const limit = unitsToUsd(actual * 10n);
    const keyBudget = await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'day', limitUsd: limit });
    await createBudget(gw.gateway.pool, { scope: 'team', scopeId: a.teamId, period: 'month', limitUsd: '1000' });
    await createBudget(gw.gateway.pool, { scope: 'tenant', scopeId: a.tenantId, period: 'total', limitUsd: '1000' });
    const upstreamBefore = gw.fake.countFor(text);

    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        a.openai.chat.completions
          .create(request)
          .withResponse()
          .then(
            ({ response }) => ({ ok: true as const, cost: response.headers.get('x-switchyard-cost-usd') }),
            (err: ApiErrorLike) => ({
              ok: false as const,
              status: err.status,
              code: err.code,
              message: err.message,
              retryAfter: err.headers?.get('retry-after'),
            }),
          ),
      ),
    );
    const served = outcomes.filter((o) => o.ok);
    const refused = outcomes.filter((o) => !o.ok);
    // At least as many as fit at the estimate at once; never more than fit at the actual cost.
    expect(served.length).toBeGreaterThanOrEqual(Number((actual * 10n) / estimate));
    expect(served.length).toBeLessThanOrEqual(11);
    for (const r of refused) {
      expect(r).toMatchObject({ status: 429, code: 'budget_exceeded' });
      expect(r.message).toContain('key budget (day)');
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
    }
    // Nothing refused reached the upstream.
    expect(gw.fake.countFor(text) - upstreamBefore).toBe(served.length);
    const status = await budgetStatus(gw.gateway.pool, keyBudget.id);
    expect(status!.reservedUsd).toBe('0');
    expect(usdToUnits(status!.spentUsd)).toBeLessThanOrEqual(usdToUnits(limit) + estimate);
    const headerSum = served.reduce((sum, o) => sum + usdToUnits(o.cost!), 0n);
    expect(unitsToUsd(headerSum)).toBe(status!.spentUsd);
  });

  it('holds a key the moment a budget is created through the admin API, though the key was cached as unbudgeted', async () => {
    // Not in the ledger balance check: its first request's usage predates the budget.
    const a = await newAccount(gw.gateway.pool, gw.url);
    const first = await a.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('before budget') }] })
      .withResponse();
    const reservation = async (requestId: string | null) =>
      (await gw.gateway.pool.query<{ amount_usd: string }>('SELECT amount_usd FROM reservations WHERE id = $1', [`chat-${requestId}`])).rows[0];
    // No budget: nothing was held (the reservation row is born settled, at zero).
    expect(usdToUnits((await reservation(first.response.headers.get('x-request-id')))!.amount_usd)).toBe(0n);

    const created = await fetch(`${gw.url}/admin/budgets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'tenant', scope_id: a.tenantId, period: 'month', limit_usd: '5' }),
    });
    expect(created.status).toBe(201);
    // Within the key cache's TTL (5 s), yet the next request is held and charged to the budget.
    const second = await a.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('after budget') }] })
      .withResponse();
    expect(usdToUnits((await reservation(second.response.headers.get('x-request-id')))!.amount_usd)).toBeGreaterThan(0n);
    const budgetId = ((await created.json()) as { id: string }).id;
    const status = await budgetStatus(gw.gateway.pool, budgetId);
    expect(status!.spentUsd).toBe(normalizeUsd(second.response.headers.get('x-switchyard-cost-usd')!));
  });

  it('puts the usage record cost in x-switchyard-cost-usd (chat and embeddings)', async () => {
    const a = await account();
    await createBudget(gw.gateway.pool, { scope: 'tenant', scopeId: a.tenantId, period: 'month', limitUsd: '10' });
    const chat = await a.openai.chat.completions
      .create({ model: 'claude-test', messages: [{ role: 'user', content: uniqueText('cost header') }], max_tokens: 30 })
      .withResponse();
    const chatCost = chat.response.headers.get('x-switchyard-cost-usd');
    expect(usdToUnits(chatCost!)).toBeGreaterThan(0n);
    expect(await usageCost(chat.response.headers.get('x-request-id'))).toBe(chatCost);

    const embed = await a.openai.embeddings.create({ model: 'embed-test', input: uniqueText('embed cost') }).withResponse();
    const embedCost = embed.response.headers.get('x-switchyard-cost-usd');
    expect(usdToUnits(embedCost!)).toBeGreaterThan(0n);
    expect(await usageCost(embed.response.headers.get('x-request-id'))).toBe(embedCost);
    const { rows } = await gw.gateway.pool.query<{ team_id: string; price_id: string | null; status: string }>(
      'SELECT team_id, price_id, status FROM usage_records WHERE request_id = $1',
      [embed.response.headers.get('x-request-id')],
    );
    expect(rows[0]).toMatchObject({ team_id: a.teamId, status: 'ok' });
    expect(rows[0]!.price_id).not.toBeNull();
  });

  it('releases the hold when the upstream fails (#fault=400)', async () => {
    const a = await account();
    const budget = await createBudget(gw.gateway.pool, { scope: 'team', scopeId: a.teamId, period: 'day', limitUsd: '5' });
    const err = (await a.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('fails', '#fault=400') }] })
      .catch((e: unknown) => e)) as ApiErrorLike;
    expect(err.status).toBe(400);
    const requestId = err.headers.get('x-request-id');
    const { rows } = await gw.gateway.pool.query<{ state: string; release_reason: string }>('SELECT state, release_reason FROM reservations WHERE id = $1', [
      `chat-${requestId}`,
    ]);
    expect(rows[0]).toEqual({ state: 'released', release_reason: 'released' });
    const status = await budgetStatus(gw.gateway.pool, budget.id);
    expect({ reserved: status!.reservedUsd, spent: status!.spentUsd }).toEqual({ reserved: '0', spent: '0' });
  });

  it('refuses an unpriced model for a budgeted key (400 model_price_unknown) and serves it at zero cost otherwise', async () => {
    const a = await account();
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '5' });
    const text = uniqueText('unpriced');
    const err = (await a.openai.chat.completions
      .create({ model: 'azure-test', messages: [{ role: 'user', content: text }] })
      .catch((e: unknown) => e)) as ApiErrorLike;
    expect({ status: err.status, code: err.code }).toEqual({ status: 400, code: 'model_price_unknown' });
    expect(err.message).toContain('my-gpt-deployment');
    expect(gw.fake.countFor(text)).toBe(0);

    const free = await gw.openai.chat.completions.create({ model: 'azure-test', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(free.response.headers.get('x-switchyard-cost-usd')).toBe('0');
    const { rows } = await gw.gateway.pool.query<{ price_id: string | null }>('SELECT price_id FROM usage_records WHERE request_id = $1', [
      free.response.headers.get('x-request-id'),
    ]);
    expect(rows[0]!.price_id).toBeNull();
  });
});
