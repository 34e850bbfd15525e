import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createBudget } from '../../db/ledger';
import type { RequestMemo } from '../../temporal/request-memo';
import { RequestOutcome, SA } from '../../temporal/search-attributes';
import { TaskQueue } from '../../temporal/task-queues';
import { expectLedgerBalanced, newAccount } from '../support/accounts';
import { localActivityMarkers } from '../support/local-activity-markers';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';
import { closedWorkflow } from '../support/closed-workflow';

const EventType = temporal.api.enums.v1.EventType;

/** What ops see of a request in Temporal: search attributes set at start and at completion, the memo, the history. */
describe('request workflows in Temporal visibility', () => {
  let gw: TestGateway;
  const tenants: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await gw.stop();
  });

  /** Sends a chat request and returns its workflow id, whether it succeeded or not. */
  async function chat(openai: TestGateway['openai'], model: string, content: string): Promise<string> {
    const { response } = await openai.chat.completions
      .create({ model, messages: [{ role: 'user', content }] })
      .withResponse()
      .catch((e: { headers: Headers }) => ({ response: { headers: e.headers } }));
    return `chat-${response.headers.get('x-request-id')}`;
  }

  async function described(workflowId: string) {
    return (await closedWorkflow(gw.gateway.client, workflowId)).describe();
  }

  it('records outcome, provider, fallback count and cost in the workflow task that completes the workflow', async () => {
    const { response } = await gw.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('visibility ok') }] })
      .withResponse();
    const workflowId = `chat-${response.headers.get('x-request-id')}`;
    const d = await described(workflowId);
    expect(d.status.name).toBe('COMPLETED');
    expect(d.typedSearchAttributes.get(SA.Tenant)).toBe('default');
    expect(d.typedSearchAttributes.get(SA.KeyId)).toBe(gw.keyId);
    expect(d.typedSearchAttributes.get(SA.Model)).toBe('gpt-test');
    expect(d.typedSearchAttributes.get(SA.RequestKind)).toBe('chat');
    expect(d.typedSearchAttributes.get(SA.Outcome)).toBe(RequestOutcome.Success);
    expect(d.typedSearchAttributes.get(SA.Provider)).toBe('oai');
    expect(d.typedSearchAttributes.get(SA.FallbackCount)).toBe(0);
    const cost = Number(response.headers.get('x-switchyard-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    expect(d.typedSearchAttributes.get(SA.CostUsd)).toBe(cost);
    expect(d.memo).toEqual({ routePlan: [{ model: 'gpt-test', provider: 'oai', upstreamModel: 'gpt-4o-mini', fallback: false }] } satisfies RequestMemo);

    // The shape of a workflow with one local activity: a single workflow task runs the attempt
    // (the API took the hold, the attempt settled itself), records its marker, upserts and
    // completes. The upsert adds no task.
    const { events } = await (await closedWorkflow(gw.gateway.client, workflowId)).fetchHistory();
    const types = (events ?? []).map((e) => e.eventType);
    expect(types).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_MARKER_RECORDED,
      EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
    expect(localActivityMarkers(events ?? [])).toEqual([{ activityType: 'callChatAndSettle', attempt: 1, failed: false }]);
  });

  it('keeps a local attempt longer than the workflow task timeout (10 s) alive: one upstream call, no task timeout', async () => {
    // The SDK heartbeats the workflow task while a local activity runs (a task completed with no
    // commands before 80 % of the 10 s timeout, and a new one started), so a slow upstream is not
    // mistaken for a dead worker and asked again.
    const text = uniqueText('visibility slow upstream', '#delay=12000');
    const { response } = await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(response.status).toBe(200);
    expect(gw.fake.countFor(text)).toBe(1);
    const { events } = await (await closedWorkflow(gw.gateway.client, `chat-${response.headers.get('x-request-id')}`)).fetchHistory();
    const types = (events ?? []).map((e) => e.eventType);
    expect(types).not.toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    expect(
      types.slice(0, types.indexOf(EventType.EVENT_TYPE_MARKER_RECORDED)).filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED).length,
    ).toBeGreaterThanOrEqual(2);
    expect(localActivityMarkers(events ?? [])).toEqual([{ activityType: 'callChatAndSettle', attempt: 1, failed: false }]);
  }, 45_000);

  it('after a fallback names the provider that answered, and the memo shows the whole route plan', async () => {
    const d = await described(await chat(gw.openai, 'badkey-then-claude', uniqueText('visibility fallback')));
    expect(d.typedSearchAttributes.get(SA.Outcome)).toBe(RequestOutcome.Success);
    expect(d.typedSearchAttributes.get(SA.Provider)).toBe('ant');
    expect(d.typedSearchAttributes.get(SA.FallbackCount)).toBe(1);
    expect(d.typedSearchAttributes.get(SA.Model)).toBe('badkey-then-claude');
    expect(d.memo).toEqual({
      routePlan: [
        { model: 'badkey-then-claude', provider: 'oai-badkey', upstreamModel: 'gpt-4o-mini', fallback: false },
        { model: 'claude-test', provider: 'ant', upstreamModel: 'claude-3-5-haiku-latest', fallback: true },
      ],
    });
  });

  it('marks a failed workflow before it fails: bad_request, failed (every deployment down)', async () => {
    const bad = await described(await chat(gw.openai, 'gpt-test', uniqueText('visibility 400', '#fault=400')));
    expect(bad.status.name).toBe('FAILED');
    expect(bad.typedSearchAttributes.get(SA.Outcome)).toBe(RequestOutcome.BadRequest);
    expect(bad.typedSearchAttributes.get(SA.Provider)).toBe('oai');
    expect(bad.typedSearchAttributes.get(SA.CostUsd)).toBe(0);

    const down = await described(await chat(gw.openai, 'nokey-then-bedrock', uniqueText('visibility down', '#fault=500')));
    expect(down.status.name).toBe('FAILED');
    expect(down.typedSearchAttributes.get(SA.Outcome)).toBe(RequestOutcome.Failed);
    // Its two deployments share a priority, so their order is drawn per request: the memo has it.
    const plan = (down.memo as unknown as RequestMemo).routePlan;
    expect(down.typedSearchAttributes.get(SA.Provider)).toBe(plan[1]!.provider);
    expect(down.typedSearchAttributes.get(SA.FallbackCount)).toBe(1);

    // The failing workflow task is also the one that upserts: no task after the upsert.
    const { events } = await (await closedWorkflow(gw.gateway.client, bad.workflowId)).fetchHistory();
    const types = (events ?? []).map((e) => e.eventType);
    expect(types.slice(-2)).toEqual([EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED]);
  });

  it('starts no workflow for a budget refusal: the API holds the budget before it starts one', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'day', limitUsd: '0.00000001' });
    const err = (await a.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('visibility budget') }] })
      .catch((e: unknown) => e)) as { status: number; code: string; headers: Headers };
    expect(err).toMatchObject({ status: 429, code: 'budget_exceeded' });
    await expect(described(`chat-${err.headers.get('x-request-id')}`)).rejects.toThrow(WorkflowNotFoundError);
  });

  it('finds requests by tenant, model and outcome with a visibility query', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    const ok = await chat(a.openai, 'gpt-test', uniqueText('visibility query'));
    const failed = await chat(a.openai, 'gpt-test', uniqueText('visibility query', '#fault=400'));
    const query = `SwitchyardTenant="${a.tenantId}" AND LlmModel="gpt-test" AND RequestOutcome="success"`;
    const found: string[] = [];
    // Visibility is updated asynchronously after completion; poll briefly.
    for (let i = 0; i < 50; i++) {
      found.length = 0;
      for await (const w of gw.gateway.client.workflow.list({ query })) found.push(w.workflowId);
      if (found.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toEqual([ok]);
    expect(found).not.toContain(failed);
  });

  it('labels the maintenance workflows: the alert sweeper gets kind and outcome', async () => {
    const handle = await gw.gateway.client.workflow.start('redeliverBudgetAlertsWorkflow', {
      taskQueue: TaskQueue.Interactive,
      workflowId: `visibility-alert-sweep-${Date.now()}`,
    });
    await handle.result();
    const d = await handle.describe();
    expect(d.typedSearchAttributes.get(SA.RequestKind)).toBe('alert_sweep');
    expect(d.typedSearchAttributes.get(SA.Outcome)).toBe(RequestOutcome.Success);
  });
});

/**
 * `durable.attempts: activity`. Its own block, so that no other gateway's worker (with its own
 * fake upstream) polls the task queue while this one's retries are dispatched through it.
 */
describe('request workflows with regular attempts', () => {
  let regular: TestGateway;
  beforeAll(async () => {
    regular = await startTestGateway({ configOverrides: { durable: { attempts: 'activity' } } });
  });
  afterAll(async () => {
    await regular.stop();
  });

  it('runs each attempt as a regular activity whose retries the server shows', async () => {
    const text = uniqueText('visibility regular', '#fault=500x2');
    const { data, response } = await regular.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(data.choices[0]!.message.content).toContain('Hello from fake');
    expect(regular.fake.countFor(text)).toBe(3);
    const workflowId = `chat-${response.headers.get('x-request-id')}`;
    const { events } = await (await closedWorkflow(regular.gateway.client, workflowId)).fetchHistory();
    // Two workflow tasks around one activity; its started event carries the attempt and the last failure.
    expect((events ?? []).map((e) => e.eventType)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ]);
    const started = (events ?? []).find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
    expect(started.attempt).toBe(3);
    expect(started.lastFailure?.applicationFailureInfo?.type).toBe('ProviderServerError');
    expect(localActivityMarkers(events ?? [])).toEqual([]);
  });
});
