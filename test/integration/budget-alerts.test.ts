import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { createBudget } from '../../db/ledger';
import { normalizeUsd, unitsToUsd, usdToUnits } from '../../prices/usd';
import { TaskQueue } from '../../temporal/task-queues';
import { expectLedgerBalanced, newAccount, uid, type TestAccount } from '../support/accounts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../support/test-gateway';

interface WebhookCall {
  readonly path: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * A webhook receiver: records every call; `failFirst[path]` answers 500 to that many calls
 * per alert id before it answers 204.
 */
class Receiver {
  readonly calls: WebhookCall[] = [];
  readonly failFirst = new Map<string, number>();
  private readonly seen = new Map<string, number>();
  private server!: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        const path = req.url ?? '/';
        const n = (this.seen.get(String(body.id)) ?? 0) + 1;
        this.seen.set(String(body.id), n);
        const status = n <= (this.failFirst.get(path) ?? 0) ? 500 : 204;
        this.calls.push({ path, status, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  delivered(path: string): WebhookCall[] {
    return this.calls.filter((c) => c.path === path && c.status === 204);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Budget alerts: 80 % and 100 % once per period, delivered by a workflow with retries. */
describe('budget alerts', () => {
  let gw: TestGateway;
  const receiver = new Receiver();
  const tenants: string[] = [];
  // Answer ~24 words for a ~20-token prompt; with max_tokens 1 the estimate is far below the cost.
  const request: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'a b c d e f g h i j k l m n o p q r s t' }],
    max_tokens: 1,
  };

  beforeAll(async () => {
    await receiver.start();
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await gw.stop();
    await receiver.stop();
  });

  function admin(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** A tenant whose webhook is `<receiver>/<tenant id>`, with a key budget (total, 1000 USD). */
  async function setup(): Promise<{ a: TestAccount; budgetId: string; hook: string }> {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    const hook = `/${a.tenantId}`;
    const put = await admin('PUT', `/admin/tenants/${a.tenantId}/alert-webhook`, { url: `${receiver.url}${hook}` });
    expect(put.status).toBe(200);
    const budget = await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '1000' });
    return { a, budgetId: budget.id, hook };
  }

  /** The first request's estimate (what was held) and actual cost, in 1e-10 USD units. */
  async function firstRequest(a: TestAccount): Promise<{ estimate: bigint; cost: bigint }> {
    await a.openai.chat.completions.create(request);
    const { rows } = await gw.gateway.pool.query<{ amount_usd: string; cost_usd: string }>(
      'SELECT r.amount_usd, u.cost_usd FROM usage_records u JOIN reservations r ON r.id = u.reservation_id WHERE u.key_id = $1',
      [a.keyId],
    );
    expect(rows).toHaveLength(1);
    const estimate = usdToUnits(rows[0]!.amount_usd);
    const cost = usdToUnits(rows[0]!.cost_usd);
    // The scenario needs room for one more estimate below 80 % (see the callers).
    expect(estimate * 100n).toBeLessThan(cost * 45n);
    return { estimate, cost };
  }

  async function setLimit(budgetId: string, limit: bigint): Promise<void> {
    expect((await admin('PATCH', `/admin/budgets/${budgetId}`, { limit_usd: unitsToUsd(limit) })).status).toBe(200);
  }

  it('calls the webhook once at 80 % and once at 100 % of a budget period, from both paths', async () => {
    const { a, budgetId, hook } = await setup();
    const { estimate, cost } = await firstRequest(a);
    // After two requests spent = 2C ≥ 80 %; a third is still admitted (2C + estimate ≤ limit)
    // and takes spent past 100 % (3C ≥ limit, since C > 0.1 · estimate).
    const limit = 2n * cost + (estimate * 11n) / 10n;
    await setLimit(budgetId, limit);
    expect(receiver.delivered(hook)).toHaveLength(0);

    await a.openai.chat.completions.create(request);
    await waitFor(() => receiver.delivered(hook).length === 1);
    const stream = await a.openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) void chunk;
    await waitFor(() => receiver.delivered(hook).length === 2);
    // More spend in the same period fires nothing new.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const calls = receiver.calls.filter((c) => c.path === hook);
    expect(calls.map((c) => c.body.threshold)).toEqual([80, 100]);

    const { rows } = await gw.gateway.pool.query<{ period_start: Date }>('SELECT period_start FROM budget_periods WHERE budget_id = $1', [budgetId]);
    const common = {
      object: 'budget.alert',
      tenant_id: a.tenantId,
      budget_id: budgetId,
      scope: 'key',
      scope_id: a.keyId,
      period: 'total',
      limit_usd: unitsToUsd(limit),
      period_start: rows[0]!.period_start.toISOString(),
    };
    expect(calls[0]!.body).toMatchObject({ ...common, threshold: 80, spent_usd: unitsToUsd(2n * cost) });
    expect(calls[1]!.body).toMatchObject({ ...common, threshold: 100, spent_usd: unitsToUsd(3n * cost) });
    expect(Number(normalizeUsd(String(calls[1]!.body.spent_usd)))).toBeGreaterThanOrEqual(Number(unitsToUsd(limit)));

    const listed = (await (await admin('GET', `/admin/budget-alerts?tenant_id=${a.tenantId}`)).json()) as {
      data: Array<{ threshold: number; delivery: { state: string; attempts: number } }>;
    };
    expect(listed.data.map((d) => [d.threshold, d.delivery.state, d.delivery.attempts])).toEqual([
      [100, 'delivered', 1],
      [80, 'delivered', 1],
    ]);
    // Each alert is also an event in the tenant's audit log.
    const audit = (await (await admin('GET', `/admin/audit?tenant_id=${a.tenantId}&entity_type=budget_alert`)).json()) as {
      data: Array<{ action: string; after: { threshold: number } }>;
    };
    expect(audit.data.map((e) => [e.action, e.after.threshold]).sort()).toEqual([
      ['fire', 100],
      ['fire', 80],
    ]);
  });

  it('retries a failing webhook until it answers', async () => {
    const { a, budgetId, hook } = await setup();
    receiver.failFirst.set(hook, 2);
    const { estimate, cost } = await firstRequest(a);
    // The second request is admitted exactly and takes spent past 100 %: both thresholds fire.
    await setLimit(budgetId, cost + estimate);
    await a.openai.chat.completions.create(request);
    await waitFor(() => receiver.delivered(hook).length === 2, 30_000);
    const calls = receiver.calls.filter((c) => c.path === hook);
    for (const threshold of [80, 100]) {
      expect(calls.filter((c) => c.body.threshold === threshold).map((c) => c.status)).toEqual([500, 500, 204]);
    }
    // The webhook's 204 reaches the receiver before the activity records the delivery.
    const deliveries = async () =>
      (
        await gw.gateway.pool.query<{ delivery_state: string; delivery_attempts: number }>(
          'SELECT delivery_state, delivery_attempts FROM budget_alerts WHERE budget_id = $1 ORDER BY threshold',
          [budgetId],
        )
      ).rows;
    await waitFor(async () => (await deliveries()).every((r) => r.delivery_state !== 'pending'));
    expect(await deliveries()).toEqual([
      { delivery_state: 'delivered', delivery_attempts: 3 },
      { delivery_state: 'delivered', delivery_attempts: 3 },
    ]);
  });

  it('the alert sweeper delivers an alert whose workflow never started', async () => {
    const { a, budgetId, hook } = await setup();
    await gw.gateway.pool.query(
      `INSERT INTO budget_alerts (budget_id, period_start, threshold, tenant_id, scope, scope_id, period, limit_usd, spent_usd, fired_at)
       VALUES ($1, 'epoch', 80, $2, 'key', $3, 'total', 1000, 850, now() - interval '5 minutes')`,
      [budgetId, a.tenantId, a.keyId],
    );
    const started = await gw.gateway.client.workflow.execute('redeliverBudgetAlertsWorkflow', {
      taskQueue: TaskQueue.Interactive,
      workflowId: uid('alert-sweep-test'),
    });
    expect(started).toBeGreaterThanOrEqual(0);
    await waitFor(() => receiver.delivered(hook).length === 1, 30_000);
    expect(receiver.delivered(hook)[0]!.body).toMatchObject({ budget_id: budgetId, threshold: 80, spent_usd: '850', limit_usd: '1000' });
  });

  it('validates the webhook URL and the tenant', async () => {
    const bad = await admin('PUT', '/admin/tenants/default/alert-webhook', { url: 'ftp://example.com/x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('url');
    expect((await admin('PUT', `/admin/tenants/${uid('nope')}/alert-webhook`, { url: 'https://example.com/hook' })).status).toBe(404);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
