import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { listCircuits } from '../../db/circuits';
import { HEALTH_CHECK_SCHEDULE_ID, HEALTH_CHECK_WORKFLOW } from '../../temporal/health-check-schedule';
import { getFreePort } from '../../temporal/free-port';
import { TaskQueue } from '../../temporal/task-queues';
import type { HealthCheckResult } from '../../activities/health-check-activities';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/**
 * Circuit breakers with real Temporal, Postgres and fakes. `flaky` points at a port where a fake
 * is started only to recover; `dead` at a port nothing listens on (connection refused, an
 * upstream failure); `steady` at a working fake. Each test uses its own upstream model names,
 * so each has its own circuits. Both gateway instances share one config (they share the task
 * queue, so either may run the other's activities) and one database.
 */
const SYNC_MS = 100;
// Long enough to outlast the first request's retries (the dev server dispatches a retry after about 1 s).
const OPEN_MS = 4_000;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Polls `check` until true; fails after `timeoutMs`. Returns the time it took. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('circuit breakers', () => {
  let a: TestGateway;
  let b: TestGateway;
  let steady: FakeUpstream;
  let flaky: FakeUpstream | undefined;
  let flakyPort: number;
  let scheduleCreated = false;

  beforeAll(async () => {
    steady = await startFakeUpstream();
    flakyPort = await getFreePort();
    const deadPort = await getFreePort();
    const configOverrides = {
      providers: {
        flaky: { type: 'openai', base_url: `http://127.0.0.1:${flakyPort}/v1`, api_key_env: 'FAKE_KEY' },
        dead: { type: 'openai', base_url: `http://127.0.0.1:${deadPort}/v1`, api_key_env: 'FAKE_KEY' },
        steady: { type: 'openai', base_url: `${steady.url}/v1`, api_key_env: 'FAKE_KEY' },
      },
      models: {
        'cb-durable': {
          deployments: [
            { provider: 'flaky', model: 'm-durable' },
            { provider: 'steady', model: 'm-durable', priority: 1 },
          ],
        },
        'cb-stream': {
          deployments: [
            { provider: 'dead', model: 'm-stream' },
            { provider: 'steady', model: 'm-stream', priority: 1 },
          ],
        },
        'cb-fb': { deployments: [{ provider: 'dead', model: 'm-fb' }], fallbacks: ['cb-fb-target'] },
        'cb-fb-target': { deployments: [{ provider: 'steady', model: 'm-fb-target' }] },
        'cb-all': { deployments: [{ provider: 'dead', model: 'm-all' }] },
        'cb-admin': { deployments: [{ provider: 'steady', model: 'm-admin' }] },
        'cb-neutral': { deployments: [{ provider: 'steady', model: 'm-neutral' }] },
        'cb-deadline': { deployments: [{ provider: 'steady', model: 'm-deadline' }] },
        'cb-idem': { deployments: [{ provider: 'steady', model: 'm-idem' }] },
        'cb-idem-embed': { type: 'embedding', deployments: [{ provider: 'steady', model: 'm-idem-embed' }] },
        'hc-dead': { deployments: [{ provider: 'dead', model: 'm-hc', circuit_breaker: { min_failures: 1 } }] },
        'hc-live': { deployments: [{ provider: 'steady', model: 'm-hc-live' }] },
      },
      retry: { max_attempts: 3, initial_interval_ms: 50, backoff_coefficient: 2, max_interval_ms: 200 },
      circuit_breaker: { window_ms: 60_000, min_failures: 2, failure_rate: 0.5, open_ms: OPEN_MS, successes_to_close: 1, sync_interval_ms: SYNC_MS },
      health_checks: { enabled: true, interval_seconds: 3_600 },
    };
    [a, b] = await Promise.all([startTestGateway({ configOverrides }), startTestGateway({ configOverrides })]);
    // The gateways created the Schedule; delete it so no hourly run checks these deployments mid-test
    // (the test below starts the workflow itself).
    const schedule = a.gateway.client.schedule.getHandle(HEALTH_CHECK_SCHEDULE_ID);
    scheduleCreated = (await schedule.describe()).action.type === 'startWorkflow';
    await schedule.delete();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([steady?.close(), flaky?.close()]);
  });

  const chat = async (gw: TestGateway, model: string, opts: { stream?: boolean; text?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: opts.text ?? uniqueText('circuit') }], stream: opts.stream === true }),
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };

  const admin = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
    const res = await fetch(`${a.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      json: (await res.json()) as Record<string, unknown> & { data?: Array<Record<string, unknown>>; error?: Record<string, unknown> },
    };
  };

  const circuitOf = async (deployment: string) => (await admin('GET', '/admin/circuits')).json.data!.find((c) => c.deployment === deployment)!;

  it('durable path: a failing deployment opens, traffic skips it, a second instance sees it, a probe closes it after recovery', async () => {
    const id = 'flaky/m-durable';
    // Attempts 1 and 2 fail (connection refused) and open the circuit; attempt 3 is refused by the
    // circuit in the activity (CircuitOpen, not retried) and the workflow moves on to steady.
    const first = await chat(a, 'cb-durable');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-provider')).toBe('steady');
    expect(first.headers.get('x-switchyard-fallbacks')).toBe('1');

    await waitFor('instance A to see the open circuit', () => a.gateway.circuits.isOpen(id));
    const seenByB = await waitFor('instance B to see the open circuit', () => b.gateway.circuits.isOpen(id), 1_000);
    expect(seenByB).toBeLessThan(1_000);

    // Both instances now leave the deployment out of the plan: the first deployment tried answers.
    for (const gw of [a, b]) {
      const skipped = await chat(gw, 'cb-durable');
      expect(skipped.status).toBe(200);
      expect(skipped.headers.get('x-switchyard-provider')).toBe('steady');
      expect(skipped.headers.get('x-switchyard-fallbacks')).toBe('0');
    }
    const opened = await circuitOf(id);
    expect(opened).toMatchObject({ state: 'open', forced: false, reason: 'failures', successes: 0 });
    // 2 when one process ran both failing attempts; 3 when the retries were spread over A and B
    // (neither had 2 failures locally, so the third attempt went out before the store opened it).
    expect([2, 3]).toContain(opened.failures);

    // The upstream recovers; after the cool-down the next request is the probe, and it closes the circuit.
    flaky = await startFakeUpstream({ port: flakyPort });
    await waitFor('half-open', () => a.gateway.circuits.state(id) === 'half_open', OPEN_MS + 2_000);
    const text = uniqueText('probe');
    const probe = await chat(a, 'cb-durable', { text });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-switchyard-provider')).toBe('flaky');
    expect(flaky.countFor(text)).toBe(1);
    await waitFor('instance B to see the closed circuit', () => b.gateway.circuits.state(id) === 'closed', 1_000);
    expect(await circuitOf(id)).toMatchObject({ state: 'closed', reason: 'probes_succeeded' });
  });

  it('fast path: failures open the circuit and streams go straight to the next deployment', async () => {
    const id = 'dead/m-stream';
    for (let i = 0; i < 2; i++) {
      const res = await chat(a, 'cb-stream', { stream: true });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-provider')).toBe('steady');
    }
    expect(a.gateway.circuits.isOpen(id)).toBe(true);
    const before = steady.requests.filter((r) => r.model === 'm-stream').length;
    const res = await chat(b.gateway.circuits.isOpen(id) ? b : a, 'cb-stream', { stream: true });
    expect(res.status).toBe(200);
    expect(res.body).toContain('data: [DONE]');
    expect(steady.requests.filter((r) => r.model === 'm-stream').length).toBe(before + 1);
    // The transition is counted by the write-through sync that follows it. The gauge may show the
    // open state one sync earlier: a sync in flight when the second failure came re-applies that
    // unsent failure to what it read back. So wait for both.
    const transition = /switchyard_circuit_transitions_total\{deployment="dead\/m-stream",to="open",reason="failures"\} 1\n/;
    let metrics = '';
    await waitFor('the open state and its transition in the metrics', async () => {
      metrics = await (await fetch(`${a.url}/metrics`)).text();
      return metrics.includes('switchyard_circuit_state{deployment="dead/m-stream"} 2') && transition.test(metrics);
    });
    expect(metrics).toMatch(transition);
  });

  it('skips an open deployment to the fallback model, and answers 503 at once when every deployment is open', async () => {
    // Its own retries open the circuit. When one process ran them, the third attempt is refused
    // in the activity (503 circuit_open); when they were spread over both instances it went out
    // and failed (502). Either way the upstream was called.
    const failed = await chat(a, 'cb-all');
    expect(failed.status === 503 ? JSON.parse(failed.body).error.message : failed.status).toEqual(
      failed.status === 503 ? expect.stringContaining('the circuit breaker of dead/m-all is open') : 502,
    );
    await waitFor('cb-all open', () => a.gateway.circuits.isOpen('dead/m-all'));
    // Now the API refuses before any workflow starts.
    const started = Date.now();
    const refused = await chat(a, 'cb-all');
    expect(Date.now() - started).toBeLessThan(500);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: expect.objectContaining({ type: 'api_error', code: 'circuit_open', param: null }) });
    expect(JSON.parse(refused.body).error.message).toContain('nothing was sent upstream');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    expect((await chat(a, 'cb-fb')).headers.get('x-switchyard-fallbacks')).toBe('1');
    await waitFor('cb-fb open', () => a.gateway.circuits.isOpen('dead/m-fb'));
    const skipped = await chat(a, 'cb-fb');
    expect(skipped.status).toBe(200);
    expect(skipped.headers.get('x-switchyard-model')).toBe('cb-fb-target');
    expect(skipped.headers.get('x-switchyard-fallbacks')).toBe('0');
  });

  it('never counts client errors against a deployment', async () => {
    for (let i = 0; i < 4; i++) expect((await chat(a, 'cb-neutral', { text: uniqueText('bad', '#fault=400') })).status).toBe(400);
    await a.gateway.circuits.sync();
    expect(await circuitOf('steady/m-neutral')).toMatchObject({ state: 'closed', failures: 0 });
  });

  it("never counts the client's own deadline against a deployment, on either path", async () => {
    const headers = { 'x-switchyard-timeout-ms': '100' };
    for (const stream of [false, true]) {
      for (let i = 0; i < 3; i++) {
        const answer = await chat(a, 'cb-deadline', { stream, headers, text: uniqueText('slow', '#delay=1000') });
        expect({ stream, status: answer.status, code: (JSON.parse(answer.body) as { error: { code: string } }).error.code }).toEqual({
          stream,
          status: 504,
          code: 'request_timeout',
        });
      }
    }
    await a.gateway.circuits.sync();
    expect(await circuitOf('steady/m-deadline')).toMatchObject({ state: 'closed', failures: 0 });
  });

  it('admin: force open (everywhere within the sync interval) and reset, audit-logged', async () => {
    const id = 'steady/m-admin';
    const path = `/admin/circuits/${encodeURIComponent(id)}`;
    expect((await admin('POST', `${path}/open`, { duration_ms: 60_000 }, 'wrong-token-0123456789')).status).toBe(401);
    expect((await admin('POST', '/admin/circuits/steady%2Fnope/open')).json.error).toMatchObject({ code: 'deployment_not_found', param: 'deployment' });
    expect((await admin('POST', `${path}/open`, { duration_ms: 5 })).json.error).toMatchObject({ code: 'invalid_value', param: 'duration_ms' });

    const opened = await admin('POST', `${path}/open`, { duration_ms: 60_000 });
    expect(opened.status).toBe(200);
    expect(opened.json).toMatchObject({ object: 'circuit', deployment: id, state: 'open', forced: true, reason: 'admin_open' });
    expect(Date.parse(opened.json.open_until as string) - Date.now()).toBeGreaterThan(50_000);
    expect((await chat(a, 'cb-admin')).status).toBe(503);
    await waitFor('instance B to see the forced circuit', () => b.gateway.circuits.isOpen(id), 1_000);
    expect((await chat(b, 'cb-admin', { stream: true })).status).toBe(503);

    const untilReset = await admin('POST', `${path}/open`);
    expect(untilReset.json).toMatchObject({ state: 'open', open_until: null });

    const reset = await admin('POST', `${path}/reset`);
    expect(reset.json).toMatchObject({ state: 'closed', forced: false, reason: 'admin_reset', failures: 0 });
    expect((await chat(a, 'cb-admin')).status).toBe(200);
    await waitFor('instance B to see the reset', () => !b.gateway.circuits.isOpen(id), 1_000);

    const audit = await fetch(`${a.url}/admin/audit?entity_type=circuit`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const rows = ((await audit.json()) as { data: Array<{ action: string; entity_id: string; before: unknown; after: unknown }> }).data.filter(
      (r) => r.entity_id === id,
    );
    expect(rows.map((r) => r.action)).toEqual(['force_open', 'force_open', 'reset']);
    expect(rows[0]).toMatchObject({ before: { state: 'closed' }, after: { state: 'open', forced: true } });
  });

  it('a malformed Idempotency-Key is 400 even when every deployment is open (checked before the circuits)', async () => {
    const deployments = ['steady/m-idem', 'steady/m-idem-embed'];
    for (const id of deployments) expect((await admin('POST', `/admin/circuits/${encodeURIComponent(id)}/open`, { duration_ms: 60_000 })).status).toBe(200);
    try {
      const embed = (headers: Record<string, string>) =>
        fetch(`${a.url}/v1/embeddings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model: 'cb-idem-embed', input: uniqueText('idem') }),
        });
      const bad = { 'idempotency-key': 'has a space' };
      // The circuits are open: a well-formed request is refused at once.
      expect((await chat(a, 'cb-idem', { headers: { 'idempotency-key': uniqueText('ok').replace(/ /g, '-') } })).status).toBe(503);
      expect((await embed({})).status).toBe(503);

      const chatAnswer = await chat(a, 'cb-idem', { headers: bad });
      expect({ status: chatAnswer.status, body: JSON.parse(chatAnswer.body) as unknown }).toEqual({
        status: 400,
        body: { error: { message: expect.any(String) as unknown, type: 'invalid_request_error', param: null, code: 'invalid_idempotency_key' } },
      });
      const embedAnswer = await embed(bad);
      expect({ status: embedAnswer.status, body: (await embedAnswer.json()) as unknown }).toEqual({
        status: 400,
        body: { error: { message: expect.any(String) as unknown, type: 'invalid_request_error', param: null, code: 'invalid_idempotency_key' } },
      });
      // Streams ignore the header, so the open circuit answers.
      expect((await chat(a, 'cb-idem', { stream: true, headers: bad })).status).toBe(503);
    } finally {
      for (const id of deployments) await admin('POST', `/admin/circuits/${encodeURIComponent(id)}/reset`);
    }
  });

  it('the health-check workflow calls every deployment and feeds the shared state', async () => {
    expect(scheduleCreated).toBe(true);
    const results = await a.gateway.client.workflow.execute<() => Promise<HealthCheckResult[]>>(HEALTH_CHECK_WORKFLOW, {
      taskQueue: TaskQueue.Interactive,
      workflowId: `health-check-test-${Date.now()}`,
      workflowExecutionTimeout: '1 minute',
    });
    const byId = new Map(results.map((r) => [r.deployment, r]));
    expect(byId.get('dead/m-hc')).toMatchObject({ outcome: 'failure', failure: 'ProviderConnection' });
    expect(byId.get('steady/m-hc-live')).toMatchObject({ outcome: 'success' });
    expect(steady.requests.some((r) => r.model === 'm-hc-live' && r.lastUserText === 'ping')).toBe(true);
    // Written through before the workflow returned: the store already has it, and instance A soon too.
    const stored = new Map((await listCircuits(a.gateway.pool)).map((r) => [r.deployment, r]));
    expect(stored.get('dead/m-hc')).toMatchObject({ state: 'open', reason: 'health_check' });
    expect(stored.get('steady/m-hc-live')).toMatchObject({ state: 'closed', successes: 1 });
    await waitFor('instance A to see the health check', () => a.gateway.circuits.isOpen('dead/m-hc'), 1_000);
    expect((await chat(a, 'hc-dead')).status).toBe(503);
  });
});
