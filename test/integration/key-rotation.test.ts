import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { createBudget } from '../../db/ledger';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { keyRotationWorkflowId } from '../../temporal/key-rotation-messages';
import { KEY_ROTATION_SCHEDULE_ID, KEY_ROTATION_SCHEDULE_WORKFLOW } from '../../temporal/key-rotation-schedule';
import { TaskQueue } from '../../temporal/task-queues';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { expectLedgerBalanced, newAccount, type TestAccount } from '../support/accounts';
import { capturingLogger, waitUntil } from '../support/log-capture';
import { ADMIN_TOKEN, startTestGateway, testConfigFor, workflowBundle, type TestGateway } from '../support/test-gateway';

interface RotationBody {
  id: string;
  key_id: string;
  new_key_id: string;
  status: string;
  sunset_at: number;
  workflow_id: string;
  trigger?: string;
  secret_available?: boolean;
  new_key?: { id: string; key: string; status: string; budget_key_id: string };
}

function admin(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect({ status: res.status, text }).toEqual({ status, text: expect.any(String) });
  return JSON.parse(text) as T;
}

/** One durable chat request with `key`; the body is read so the connection is freed. */
async function chat(url: string, key: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'say something short' }], max_tokens: 20 }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function rotate(url: string, keyId: string, graceSeconds: number): Promise<RotationBody> {
  return json<RotationBody>(await admin(url, 'POST', `/admin/keys/${keyId}/rotate`, { grace_period_seconds: graceSeconds }), 201);
}

async function rotationStatus(url: string, id: string): Promise<string> {
  return (await json<RotationBody>(await admin(url, 'GET', `/admin/rotations/${id}`), 200)).status;
}

/** Client key rotation: successor issued at once, old key in grace with deprecation headers, then revoked by a durable timer. */
describe('client key rotation', () => {
  let gw: TestGateway;
  let pool: Pool;
  const logs = capturingLogger();
  const secrets: string[] = [];
  const tenants: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ logger: logs.logger });
    pool = gw.gateway.pool;
  });
  afterAll(async () => {
    await expectLedgerBalanced(pool, tenants);
    await gw.stop();
  });

  async function account(): Promise<TestAccount> {
    const a = await newAccount(pool, gw.url);
    tenants.push(a.tenantId);
    secrets.push(a.key);
    return a;
  }

  it('keeps the old key working with deprecation headers until the grace period ends, then refuses it', async () => {
    const a = await account();
    const started = Date.now();
    const r = await rotate(gw.url, a.keyId, 3);
    secrets.push(r.new_key!.key);
    expect(r).toMatchObject({ key_id: a.keyId, status: 'grace', workflow_id: keyRotationWorkflowId(a.keyId) });
    expect(r.new_key!.key).toMatch(/^sk-sy-/);
    expect(r.new_key!.budget_key_id).toBe(a.keyId);

    // A second rotation while this one runs is refused.
    const again = await admin(gw.url, 'POST', `/admin/keys/${a.keyId}/rotate`, { grace_period_seconds: 3 });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('rotation_in_progress');

    const old = await chat(gw.url, a.key);
    expect(old.status).toBe(200);
    expect(old.headers.get('deprecation')).toMatch(/^@\d+$/);
    expect(new Date(old.headers.get('sunset')!).getTime()).toBe(r.sunset_at * 1000);
    expect(Date.parse(old.headers.get('x-switchyard-key-expires-at')!)).toBeGreaterThanOrEqual(r.sunset_at * 1000);
    const fresh = await chat(gw.url, r.new_key!.key);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('deprecation')).toBeNull();

    // Stops at the sunset (checked on every request), and the workflow then revokes it.
    const refused = await waitUntil('the old key to stop', async () => {
      const res = await chat(gw.url, a.key);
      return res.status === 401 ? res : undefined;
    });
    expect(Date.now()).toBeGreaterThanOrEqual(r.sunset_at * 1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect((refused.body.error as { code: string }).code).toBe('invalid_api_key');
    await waitUntil('the rotation to complete', async () => (await rotationStatus(gw.url, r.id)) === 'completed');
    const oldKey = await json<{ status: string; revoked_at: number | null }>(await admin(gw.url, 'GET', `/admin/keys/${a.keyId}`), 200);
    expect(oldKey.status).toBe('revoked');
    expect((await chat(gw.url, r.new_key!.key)).status).toBe(200);

    const audit = await pool.query<{ action: string; entity_type: string; actor: string }>(
      `SELECT action, entity_type, actor FROM audit_log WHERE tenant_id = $1 AND entity_type IN ('key', 'key_rotation') ORDER BY id`,
      [a.tenantId],
    );
    expect(audit.rows.map((x) => `${x.entity_type}:${x.action}`)).toEqual([
      'key:rotate',
      'key:create',
      'key_rotation:start',
      'key:revoke',
      'key_rotation:complete',
    ]);
    expect(audit.rows.at(-1)!.actor).toBe('system:key-rotation');
  });

  it('cancel keeps the old key and revokes the successor', async () => {
    const a = await account();
    const r = await rotate(gw.url, a.keyId, 600);
    secrets.push(r.new_key!.key);
    expect((await chat(gw.url, r.new_key!.key)).status).toBe(200);
    const cancelled = await json<RotationBody>(await admin(gw.url, 'POST', `/admin/rotations/${r.id}/cancel`), 200);
    expect(cancelled.status).toBe('cancelled');
    const old = await chat(gw.url, a.key);
    expect(old.status).toBe(200);
    expect(old.headers.get('deprecation')).toBeNull();
    expect((await chat(gw.url, r.new_key!.key)).status).toBe(401);
    // Ended: finishing it now is a conflict, and the workflow has closed.
    expect((await admin(gw.url, 'POST', `/admin/rotations/${r.id}/finish`)).status).toBe(409);
    await gw.gateway.client.workflow.getHandle(r.workflow_id).result();
    // The key can be rotated again.
    const next = await rotate(gw.url, a.keyId, 0);
    secrets.push(next.new_key!.key);
    await waitUntil('the immediate rotation to complete', async () => (await rotationStatus(gw.url, next.id)) === 'completed');
    expect((await chat(gw.url, a.key)).status).toBe(401);
  });

  it('finish revokes the old key at once', async () => {
    const a = await account();
    const r = await rotate(gw.url, a.keyId, 600);
    secrets.push(r.new_key!.key);
    const finished = await json<RotationBody>(await admin(gw.url, 'POST', `/admin/rotations/${r.id}/finish`), 200);
    expect(finished.status).toBe('completed');
    const old = await chat(gw.url, a.key);
    expect(old.status).toBe(401);
    expect((await chat(gw.url, r.new_key!.key)).status).toBe(200);
    const list = await json<{ data: RotationBody[] }>(await admin(gw.url, 'GET', `/admin/rotations?key_id=${a.keyId}`), 200);
    expect(list.data.map((x) => x.id)).toEqual([r.id]);
    const byTenant = await json<{ data: RotationBody[] }>(await admin(gw.url, 'GET', `/admin/rotations?tenant_id=${a.tenantId}`), 200);
    expect(byTenant.data.map((x) => x.id)).toEqual([r.id]);
  });

  it('old and new key charge the same key budget', async () => {
    const a = await account();
    const budget = await createBudget(pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '5' });
    expect((await chat(gw.url, a.key)).status).toBe(200);
    const r = await rotate(gw.url, a.keyId, 600);
    secrets.push(r.new_key!.key);
    expect((await chat(gw.url, a.key)).status).toBe(200);
    expect((await chat(gw.url, r.new_key!.key)).status).toBe(200);
    // A key budget for the successor is the lineage's: the existing one.
    const dup = await admin(gw.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: r.new_key!.id, period: 'total', limit_usd: '1' });
    expect(dup.status).toBe(409);
    const { rows: budgets } = await pool.query('SELECT id FROM budgets WHERE tenant_id = $1', [a.tenantId]);
    expect(budgets).toEqual([{ id: budget.id }]);
    const { rows: usage } = await pool.query<{ key_id: string; cost: string }>(
      'SELECT key_id, sum(cost_usd)::text AS cost FROM usage_records WHERE tenant_id = $1 GROUP BY key_id',
      [a.tenantId],
    );
    expect(usage.map((u) => u.key_id).sort()).toEqual([a.keyId, r.new_key!.id].sort());
    const shown = await json<{ current_period: { spent_usd: string } }>(await admin(gw.url, 'GET', `/admin/budgets/${budget.id}`), 200);
    const total = usage.reduce((s, u) => s + Number(u.cost), 0);
    expect(Number(shown.current_period.spent_usd)).toBeCloseTo(total, 9);
    expect(total).toBeGreaterThan(0);
    await admin(gw.url, 'POST', `/admin/rotations/${r.id}/finish`);
  });

  it('the Schedule rotates a key past its max age, tells the webhook its id and reveals the new key once', async () => {
    const calls: Array<Record<string, unknown>> = [];
    const receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        calls.push(JSON.parse(raw) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const a = await account();
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await admin(gw.url, 'PUT', `/admin/tenants/${a.tenantId}/alert-webhook`, { url })).status).toBe(200);
      expect((await admin(gw.url, 'PATCH', `/admin/keys/${a.keyId}`, { max_age_seconds: 3600 })).status).toBe(200);
      await pool.query(`UPDATE api_keys SET created_at = now() - interval '2 hours' WHERE id = $1`, [a.keyId]);
      // The Schedule exists; a run of its workflow is triggered directly rather than waited for.
      await gw.gateway.client.schedule.getHandle(KEY_ROTATION_SCHEDULE_ID).describe();
      const started = await gw.gateway.client.workflow.execute<() => Promise<string[]>>(KEY_ROTATION_SCHEDULE_WORKFLOW, {
        taskQueue: TaskQueue.Interactive,
        workflowId: `test-scheduled-rotation-${randomBytes(4).toString('hex')}`,
      });
      const list = await json<{ data: RotationBody[] }>(await admin(gw.url, 'GET', `/admin/rotations?key_id=${a.keyId}`), 200);
      expect(list.data).toHaveLength(1);
      const r = list.data[0]!;
      expect(started).toContain(r.id);
      expect(r).toMatchObject({ trigger: 'schedule', status: 'grace', secret_available: true });
      expect(calls).toEqual([expect.objectContaining({ object: 'key.rotated', id: r.id, key_id: a.keyId, new_key_id: r.new_key_id })]);

      const reveal = await json<{ key: string; key_id: string }>(await admin(gw.url, 'GET', `/admin/rotations/${r.id}/secret`), 200);
      secrets.push(reveal.key);
      expect(reveal.key_id).toBe(r.new_key_id);
      expect(JSON.stringify(calls)).not.toContain(reveal.key);
      expect((await admin(gw.url, 'GET', `/admin/rotations/${r.id}/secret`)).status).toBe(410);
      const { rows } = await pool.query('SELECT 1 FROM key_rotations WHERE id = $1 AND sealed_secret IS NOT NULL', [r.id]);
      expect(rows).toHaveLength(0);
      expect((await chat(gw.url, reveal.key)).status).toBe(200);
      expect((await chat(gw.url, a.key)).headers.get('sunset')).not.toBeNull();
      // A second run finds nothing to do for this key.
      const again = await gw.gateway.client.workflow.execute<() => Promise<string[]>>(KEY_ROTATION_SCHEDULE_WORKFLOW, {
        taskQueue: TaskQueue.Interactive,
        workflowId: `test-scheduled-rotation-${randomBytes(4).toString('hex')}`,
      });
      expect(again).not.toContain(r.id);
      await admin(gw.url, 'POST', `/admin/rotations/${r.id}/finish`);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('refuses bad input with OpenAI-style errors', async () => {
    const a = await account();
    const bad = await admin(gw.url, 'POST', `/admin/keys/${a.keyId}/rotate`, { grace_period_seconds: -1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('grace_period_seconds');
    expect((await admin(gw.url, 'POST', '/admin/keys/key_nope/rotate', {})).status).toBe(404);
    expect((await admin(gw.url, 'GET', '/admin/rotations/rot_nope')).status).toBe(404);
    expect((await admin(gw.url, 'POST', '/admin/rotations/rot_nope/cancel')).status).toBe(404);
    const unauth = await fetch(`${gw.url}/admin/rotations`);
    expect(unauth.status).toBe(401);
  });

  it('never shows a secret in the admin API, the audit log or the logs', async () => {
    const rotations = await json<{ data: unknown[] }>(await admin(gw.url, 'GET', '/admin/rotations?limit=1000'), 200);
    const audit = await (await admin(gw.url, 'GET', '/admin/audit?format=json')).text();
    const shown = JSON.stringify(rotations) + audit + logs.text();
    expect(secrets.length).toBeGreaterThan(5);
    expect(logs.text()).toContain('client key rotation started');
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });
});

/** The grace timer is durable: the worker that started it is stopped, another one revokes the key on time. */
describe('client key rotation across a worker restart', () => {
  let fake: FakeUpstream;
  const gateways: RunningGateway[] = [];
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await fake.close();
  });

  async function gateway(roles: { api: boolean; worker: boolean }): Promise<RunningGateway> {
    const started = await startGateway({
      config: testConfigFor(fake.url),
      databaseUrl: process.env.DATABASE_URL!,
      temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
      roles,
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger: capturingLogger().logger,
      workflowBundle: roles.worker ? await workflowBundle() : undefined,
      masterKey: randomBytes(32),
    });
    gateways.push(started);
    return started;
  }

  it('revokes the old key at the end of the grace period', async () => {
    fake = await startFakeUpstream();
    const api = await gateway({ api: true, worker: false });
    const worker = await gateway({ api: false, worker: true });
    const a = await newAccount(api.pool, api.url!);
    const r = await rotate(api.url!, a.keyId, 4);
    // The workflow is waiting on its timer; the worker goes away and a new one takes over.
    await waitUntil('the rotation workflow to start', async () => (await api.client.workflow.getHandle(r.workflow_id).describe()).historyLength > 3);
    await worker.stop();
    gateways.splice(gateways.indexOf(worker), 1);
    // Without a worker the durable path would wait; /v1/models authenticates the same way.
    const during = await fetch(`${api.url!}/v1/models`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(during.status).toBe(200);
    expect(during.headers.get('sunset')).not.toBeNull();
    await gateway({ api: false, worker: true });
    await waitUntil('the rotation to complete', async () => (await rotationStatus(api.url!, r.id)) === 'completed');
    const { rows } = await api.pool.query<{ revoked_at: Date; sunset_at: Date }>('SELECT revoked_at, sunset_at FROM api_keys WHERE id = $1', [a.keyId]);
    expect(rows[0]!.revoked_at.getTime()).toBeGreaterThanOrEqual(r.sunset_at * 1000);
    expect((await chat(api.url!, a.key)).status).toBe(401);
    expect((await chat(api.url!, r.new_key!.key)).status).toBe(200);
  });
});
