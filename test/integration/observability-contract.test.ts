import { createBudget } from '../../db/ledger';
import { exportedSampleNames, referencedMetrics } from '../support/metric-references';
import { newAccount, type TestAccount } from '../support/accounts';
import { chatLine, jsonl, uploadBatchFile, waitForBatch } from '../support/batches';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/**
 * The gateway's /metrics after a little of every kind of traffic: the series carry the labels
 * the dashboard and alerts group by (bounded ones: tenant ids, never key ids), and every metric
 * the dashboard and the alert rules reference is exported, so they cannot drift apart.
 */
describe('metrics contract', () => {
  let gw: TestGateway;
  let tenant: TestAccount;
  let broke: TestAccount;
  let limited: TestAccount;
  let metrics: string;

  beforeAll(async () => {
    // Circuit breakers on (the shared test config turns them off) so the circuit gauge has series.
    gw = await startTestGateway({ configOverrides: { circuit_breaker: { enabled: true } } });
    const pool = gw.gateway.pool;
    [tenant, broke, limited] = await Promise.all([newAccount(pool, gw.url), newAccount(pool, gw.url), newAccount(pool, gw.url)]);
    await createBudget(pool, { scope: 'key', scopeId: broke.keyId, period: 'day', limitUsd: '0' });
    await createBudget(pool, { scope: 'tenant', scopeId: tenant.tenantId, period: 'month', limitUsd: '100' });
    const rl = await fetch(`${gw.url}/admin/rate-limits/key/${limited.keyId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rpm: 1 }),
    });
    expect(rl.status).toBe(201);

    const say = (label: string, directives = '') => [{ role: 'user' as const, content: uniqueText(label, directives) }];
    await tenant.openai.chat.completions.create({ model: 'gpt-test', messages: say('contract sync') });
    await tenant.openai.chat.completions.create({ model: 'gpt-test', messages: say('contract retry', '#fault=500x1') });
    await tenant.openai.chat.completions.create({ model: 'badkey-then-claude', messages: say('contract fallback') });
    await tenant.openai.embeddings.create({ model: 'embed-test', input: 'contract embeddings' });
    const stream = await tenant.openai.chat.completions.create({ model: 'claude-test', stream: true, messages: say('contract stream') });
    for await (const _chunk of stream) void _chunk;
    await expect(broke.openai.chat.completions.create({ model: 'gpt-test', messages: say('contract broke') })).rejects.toMatchObject({ status: 429 });
    await limited.openai.chat.completions.create({ model: 'gpt-test', messages: say('contract limited 1') });
    await expect(limited.openai.chat.completions.create({ model: 'gpt-test', messages: say('contract limited 2') })).rejects.toMatchObject({ status: 429 });
    // A one-line batch: its workflow tasks go through matching and its pages are regular
    // activities, which interactive requests (eager start, local attempts) no longer produce.
    const file = await uploadBatchFile(tenant.openai, jsonl([chatLine('contract-1', 'gpt-test', uniqueText('contract batch'))]));
    const batch = await tenant.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await waitForBatch(tenant.openai, batch.id)).status).toBe('completed');
    // Outcomes reach the circuit store (and the circuit gauge) at the next sync.
    const deadline = Date.now() + 10_000;
    do {
      metrics = await (await fetch(`${gw.url}/metrics`)).text();
      if (metrics.includes('switchyard_circuit_state{')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
  }, 90_000);
  afterAll(async () => {
    await gw.stop();
  });

  /** The value of one exact series in the scrape; fails when it is absent. */
  function sample(series: string): number {
    const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
    if (!line) throw new Error(`no series ${series} in /metrics`);
    return Number(line.slice(series.length + 1));
  }

  it('exports GenAI-named histograms, tokens and cost by tenant, retries, fallbacks and rejections', () => {
    const t = tenant.tenantId;
    expect(metrics).toMatch(
      /gen_ai_server_time_to_first_token_seconds_count\{gen_ai_operation_name="chat",gen_ai_request_model="claude-test",gen_ai_provider_name="ant"\} 1/,
    );
    expect(metrics).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{gen_ai_operation_name="embeddings",gen_ai_request_model="embed-test",gen_ai_provider_name="oai"\} 1/,
    );
    expect(metrics).toMatch(
      /gen_ai_client_token_usage_count\{gen_ai_token_type="output",gen_ai_request_model="gpt-test",gen_ai_provider_name="oai",gen_ai_operation_name="chat"\} [1-9]/,
    );
    expect(metrics).toMatch(new RegExp(`switchyard_tokens_total\\{gen_ai_token_type="input",gen_ai_request_model="gpt-test",tenant="${t}"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`switchyard_tokens_total\\{gen_ai_token_type="output",gen_ai_request_model="claude-test",tenant="${t}"\\} [1-9]`));
    expect(sample(`switchyard_cost_usd_total{gen_ai_request_model="gpt-test",gen_ai_provider_name="oai",tenant="${t}"}`)).toBeGreaterThan(0);
    expect(metrics).toMatch(/switchyard_upstream_retries_total\{provider="oai",model="gpt-test"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_fallbacks_total\{model="badkey-then-claude",path="durable"\} 1/);
    expect(metrics).toMatch(/switchyard_budget_rejections_total\{route="\/v1\/chat\/completions",model="gpt-test"\} 1/);
    expect(metrics).toMatch(/switchyard_rate_limit_rejections_total\{route="\/v1\/chat\/completions",scope="key",measure="requests"\} 1/);
    expect(metrics).toMatch(new RegExp(`switchyard_budget_utilization_ratio\\{tenant="${broke.tenantId}",scope="key",period="day"\\} 1`));
    const utilization = sample(`switchyard_budget_utilization_ratio{tenant="${t}",scope="tenant",period="month"}`);
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThan(0.01);
    expect(metrics).toMatch(/switchyard_workflow_start_seconds_count\{kind="chat"\} [1-9]/);
    // The Temporal worker's own metrics, on the same endpoint.
    expect(metrics).toMatch(
      /temporal_workflow_completed\{namespace="default",task_queue="switchyard-interactive",workflow_type="chatCompletionWorkflow"\} [1-9]/,
    );
    expect(metrics).toMatch(/temporal_workflow_task_schedule_to_start_latency_count\{namespace="default",task_queue="switchyard-batch"\} [1-9]/);
    // Interactive attempts run as local activities.
    expect(metrics).toMatch(
      /temporal_local_activity_execution_latency_count\{namespace="default",task_queue="switchyard-interactive",workflow_type="chatCompletionWorkflow",activity_type="callChatAndSettle"\} [1-9]/,
    );
    // Bounded labels: no key ids, keys or request ids.
    for (const a of [tenant, broke, limited]) {
      expect(metrics).not.toContain(a.keyId);
      expect(metrics).not.toContain(a.key);
    }
    expect(metrics).not.toMatch(/req_[0-9a-f]{24}/);
  });

  it('exports every metric the Grafana dashboard and the alert rules reference', () => {
    const exported = exportedSampleNames(metrics);
    const missing = [...referencedMetrics()].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
    expect(missing).toEqual([]);
  });
});
