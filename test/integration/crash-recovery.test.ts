import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { Pool } from 'pg';
import { createBudget } from '../../db/ledger';
import { migrate } from '../../db/migrate';
import { createLogger } from '../../observability/logger';
import { ProviderRegistry } from '../../providers/registry';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { historyDataConverter } from '../../temporal/data-converter';
import { createInteractiveWorker } from '../../worker/create-worker';
import { BUDGET_SWEEPER_SCHEDULE_ID } from '../../temporal/budget-sweeper';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { TEST_HISTORY_KEYRING } from '../support/history-keys';
import { interceptQueries } from '../support/intercept-queries';
import { announcement, spawnProcessScript } from '../support/process-script';
import { expectLedgerBalanced, newAccount, type TestAccount } from '../support/accounts';
import { testConfigFor, uniqueText, workflowBundle } from '../support/test-gateway';
import { localActivityMarkers } from '../support/local-activity-markers';
import type { AttemptMechanism } from '../../config/gateway-config';
import { closedWorkflow } from '../support/closed-workflow';

const TEMPORAL = () => ({ address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });

/**
 * Crashes the money path cares about, with real processes killed by SIGKILL: a worker between
 * the provider call and the attempt's settlement, and an API process in the middle of a stream. Each test
 * composes its own processes, so no other worker can take the workflow from the one that dies.
 */
describe('crash recovery of the money path', () => {
  let fake: FakeUpstream;
  let pool: Pool;
  const tenants: string[] = [];
  const children: ChildProcess[] = [];
  const gateways: RunningGateway[] = [];
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDFAKE';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'fake-secret';
    fake = await startFakeUpstream();
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    await migrate(pool);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const gateway of gateways.splice(0)) await gateway.stop();
  });
  afterAll(async () => {
    await expectLedgerBalanced(pool, tenants);
    await pool.end();
    await fake.close();
  });

  /** @param attempts the API's `durable.attempts` (the workflow input carries it to the worker). */
  async function gateway(roles: { api: boolean; worker: boolean }, attempts?: AttemptMechanism): Promise<RunningGateway> {
    const started = await startGateway({
      config: testConfigFor(fake.url, attempts ? { durable: { attempts } } : undefined),
      databaseUrl: process.env.DATABASE_URL!,
      temporal: TEMPORAL(),
      roles,
      port: 0,
      logger: createLogger({ level: 'silent' }),
      workflowBundle: roles.worker ? await workflowBundle() : undefined,
      historyKeyring: TEST_HISTORY_KEYRING,
    });
    gateways.push(started);
    return started;
  }

  async function budgetedAccount(): Promise<TestAccount> {
    const a = await newAccount(pool, 'http://unused');
    tenants.push(a.tenantId);
    await createBudget(pool, { scope: 'key', scopeId: a.keyId, period: 'total', limitUsd: '10' });
    return a;
  }

  /** Starts a script from test/support/processes; resolves with its `ready` or `url …` line. */
  async function spawnScript(script: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; firstLine: string }> {
    const child = spawnProcessScript(script, { FAKE_URL: fake.url, ...env });
    children.push(child);
    const firstLine = await announcement(child, script, (line) => line === 'ready' || line.startsWith('url '));
    return { child, firstLine };
  }

  function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  }

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it.each(['local_activity', 'activity'] as const)(
    'charges exactly once when the worker dies between the provider call and settlement (attempts as %s)',
    async (attempts) => {
      const a = await budgetedAccount();
      // The API that takes the request runs no worker, so the crashing child gets the workflow.
      const { child } = await spawnScript('crashing-worker.ts', {});
      const api = await gateway({ api: true, worker: false }, attempts);
      const text = uniqueText('crash before settle');
      const started = Date.now();
      const pending = fetch(`${api.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }),
      });
      // The worker called the provider, then died as the attempt began to settle.
      expect(await exited(child)).toBe('SIGKILL');
      expect(fake.countFor(text)).toBe(1);

      // Another worker runs the attempt again once the dead one is noticed, not at the attempt's
      // start-to-close timeout: a regular attempt's heartbeats stop (10 s timeout); a local
      // attempt's workflow task times out (10 s) and the next worker replays and runs it. The
      // attempt had not completed either way, so the provider is asked again: the upstream is paid
      // twice, as after any crash before an attempt completes.
      await gateway({ api: false, worker: true });
      const res = await pending;
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(30_000);
      const requestId = res.headers.get('x-request-id');
      const cost = res.headers.get('x-switchyard-cost-usd');
      expect(Number(cost)).toBeGreaterThan(0);
      expect(fake.countFor(text)).toBe(2);

      // The client is charged exactly once: one usage record, the hold settled at that cost.
      const { rows } = await pool.query<{ cost_usd: string }>('SELECT cost_usd FROM usage_records WHERE request_id = $1', [requestId]);
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.cost_usd)).toBe(Number(cost));
      const { rows: holds } = await pool.query<{ state: string }>('SELECT state FROM reservations WHERE id = $1', [`chat-${requestId}`]);
      expect(holds).toEqual([{ state: 'settled' }]);
    },
    90_000,
  );

  it('releases the hold of a stream whose API process died mid-stream, once the hold expires', async () => {
    const a = await budgetedAccount();
    // A worker here runs the sweeper; the API serving the stream is a child process.
    const worker = await gateway({ api: false, worker: true });
    const { child, firstLine } = await spawnScript('api-only.ts', { STREAM_HOLD_SECONDS: '1' });
    const url = firstLine.replace(/^url /, '');
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        `${url}/v1/chat/completions`,
        { method: 'POST', headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' } },
        (res) => {
          res.once('data', () => resolve(String(res.headers['x-request-id'])));
          res.on('error', () => undefined);
        },
      );
      req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
      req.end(JSON.stringify({ model: 'gpt-test', stream: true, messages: [{ role: 'user', content: uniqueText('crash mid-stream', '#fault=stall') }] }));
    });
    // First tokens are out; the process dies with the hold still taken.
    child.kill('SIGKILL');
    await exited(child);
    const reservationId = `stream-${requestId}`;
    const held = await pool.query<{ state: string }>('SELECT state FROM reservations WHERE id = $1', [reservationId]);
    expect(held.rows).toEqual([{ state: 'reserved' }]);

    // The sweeper Schedule (every minute; triggered here) releases it after its expiry.
    await new Promise((r) => setTimeout(r, 1_200));
    await worker.client.schedule.getHandle(BUDGET_SWEEPER_SCHEDULE_ID).trigger();
    const released = await waitFor('the sweeper to release the hold', async () => {
      const { rows } = await pool.query<{ state: string; release_reason: string | null }>('SELECT state, release_reason FROM reservations WHERE id = $1', [
        reservationId,
      ]);
      return rows[0]?.state === 'released' ? rows[0] : undefined;
    });
    expect(released.release_reason).toBe('expired');
  }, 90_000);

  it('settles in the workflow when the answering attempt cannot reach the ledger', async () => {
    const a = await budgetedAccount();
    // A worker whose ledger refuses the first three usage-record writes: the attempt's own
    // settlement tries three times, gives up, and hands the answer back unsettled.
    const flaky = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    let refusals = 3;
    interceptQueries(flaky, (text) => {
      if (!text.includes('INSERT INTO usage_records') || refusals === 0) return undefined;
      refusals--;
      return new Error('connection reset (test)');
    });
    const connection = await NativeConnection.connect({ address: TEMPORAL().address });
    const worker = await createInteractiveWorker({
      connection,
      namespace: TEMPORAL().namespace,
      providers: new ProviderRegistry(testConfigFor(fake.url)),
      pool: flaky,
      workflowBundle: await workflowBundle(),
      dataConverter: historyDataConverter(TEST_HISTORY_KEYRING),
    });
    try {
      const api = await gateway({ api: true, worker: false });
      const text = uniqueText('settle in the workflow');
      const res = await worker.runUntil(
        fetch(`${api.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: text }] }),
        }),
      );
      expect(res.status).toBe(200);
      expect(refusals).toBe(0);
      // One upstream call (one attempt), charged once, by the workflow's settleBudget local activity.
      expect(fake.countFor(text)).toBe(1);
      const requestId = res.headers.get('x-request-id');
      const { rows } = await pool.query<{ cost_usd: string }>('SELECT cost_usd FROM usage_records WHERE request_id = $1', [requestId]);
      expect(rows).toHaveLength(1);
      expect(Number(rows[0]!.cost_usd)).toBe(Number(res.headers.get('x-switchyard-cost-usd')));
      const { events } = await (await closedWorkflow(api.client, `chat-${requestId}`)).fetchHistory();
      expect(localActivityMarkers(events ?? []).map((m) => m.activityType)).toEqual(['callChatAndSettle', 'settleBudget']);
    } finally {
      await connection.close().catch(() => undefined);
      await flaky.end();
    }
  }, 90_000);
});
