import { HttpError } from '../../api/http-error';
import { releaseStream, reserveForStream, settleStream } from '../../api/stream-budget';
import { budgetStatus, createBudget, reconcileBudgets } from '../../db/ledger';
import { newAccount, uid, type TestAccount } from '../support/accounts';
import { startTestGateway, type TestGateway } from '../support/test-gateway';
import type { ChatRequest } from '../../providers/types';

/** The fast path's money functions, called directly (the lead wires them into stream-chat.ts). */
describe('stream budget (fast path money path)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  const plan = [{ model: 'gpt-test', provider: 'oai', upstreamModel: 'gpt-4o-mini' }];
  const request: ChatRequest = { model: 'gpt-test', messages: [{ role: 'user', content: 'Tell me a story about budgets.' }], max_tokens: 100, stream: true };
  const deps = () => ({ pool: gw.gateway.pool, providers: gw.gateway.providers });
  const callerOf = (a: TestAccount) => ({ tenantId: a.tenantId, teamId: a.teamId, keyId: a.keyId });

  it('reserves, settles from the usage chunk, and balances the ledger', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    const budget = await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'day', limitUsd: '1' });
    const hold = await reserveForStream(deps(), { requestId: uid('req'), caller: callerOf(a), plan, request });
    expect((await budgetStatus(gw.gateway.pool, budget.id))!.reservedUsd).toBe(hold.amountUsd);
    const { costUsd } = await settleStream(deps(), hold, { served: plan[0]!, usage: { prompt_tokens: 1000, completion_tokens: 100 }, status: 'ok' });
    // 1000 × 0.15 + 100 × 0.60 per million.
    expect(costUsd).toBe('0.00021');
    // A second settle (a retry) charges nothing more.
    expect((await settleStream(deps(), hold, { served: plan[0]!, usage: { prompt_tokens: 1, completion_tokens: 1 }, status: 'ok' })).costUsd).toBe('0.00021');
    const status = await budgetStatus(gw.gateway.pool, budget.id);
    expect({ spent: status!.spentUsd, reserved: status!.reservedUsd }).toEqual({ spent: '0.00021', reserved: '0' });
    for (const r of await reconcileBudgets(gw.gateway.pool, a.tenantId)) expect(r.usageCostUsd).toBe(r.spentUsd);
  });

  it('counts the streamed text when the upstream reported no usage', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    const hold = await reserveForStream(deps(), { requestId: uid('req'), caller: callerOf(a), plan, request });
    const { costUsd } = await settleStream(deps(), hold, {
      served: plan[0]!,
      usage: undefined,
      streamedText: 'Once upon a time',
      status: 'client_disconnected',
    });
    expect(Number(costUsd)).toBeGreaterThan(0);
    const { rows } = await gw.gateway.pool.query<{ output_tokens: number; status: string }>(
      'SELECT output_tokens, status FROM usage_records WHERE reservation_id = $1',
      [hold.reservationId],
    );
    expect(rows[0]).toEqual({ output_tokens: 4, status: 'client_disconnected' });
  });

  it('refuses with the same 429 as the durable path, and releases a hold', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    const budget = await createBudget(gw.gateway.pool, { scope: 'team', scopeId: a.teamId, period: 'month', limitUsd: '0.0000001' });
    const refused = await reserveForStream(deps(), { requestId: uid('req'), caller: callerOf(a), plan, request }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect((refused as HttpError).headers['retry-after']).toMatch(/^\d+$/);

    await gw.gateway.pool.query('UPDATE budgets SET limit_usd = 1 WHERE id = $1', [budget.id]);
    const hold = await reserveForStream(deps(), { requestId: uid('req'), caller: callerOf(a), plan, request });
    expect(await releaseStream(deps(), hold)).toBe(true);
    expect(await releaseStream(deps(), hold)).toBe(false);
    expect((await budgetStatus(gw.gateway.pool, budget.id))!.reservedUsd).toBe('0');
  });

  it('refuses an unpriced deployment for a budgeted caller with 400 model_price_unknown', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    await createBudget(gw.gateway.pool, { scope: 'tenant', scopeId: a.tenantId, period: 'day', limitUsd: '1' });
    const unpriced = [...plan, { model: 'azure-test', provider: 'azure', upstreamModel: 'my-gpt-deployment' }];
    const err = await reserveForStream(deps(), { requestId: uid('req'), caller: callerOf(a), plan: unpriced, request }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'model_price_unknown' });
  });
});
