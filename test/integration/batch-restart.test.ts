import type { ChildProcess } from 'node:child_process';
import { Pool } from 'pg';
import { createBudget } from '../../db/ledger';
import { migrate } from '../../db/migrate';
import { createLogger } from '../../observability/logger';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { announcement, spawnProcessScript } from '../support/process-script';
import { expectLedgerBalanced, newAccount } from '../support/accounts';
import { chatLine, jsonl, readResultFile, uploadBatchFile, waitForBatch } from '../support/batches';
import { testConfigFor, uniqueText } from '../support/test-gateway';

// Two pages per run: the batch continues as new three times, once across the kill.
const OVERRIDES = { batch: { page_size: 5, concurrency: 4, pages_per_run: 2 } };
const ITEMS = 40;

/**
 * A batch worker process killed with SIGKILL half-way through a batch: a new worker takes the
 * workflow over (the page activity's heartbeat times out and is retried there, skipping what is
 * answered), and every item ends up answered once and charged once.
 */
describe('batch worker restart', () => {
  let fake: FakeUpstream;
  let pool: Pool;
  let api: RunningGateway;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDFAKE';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'fake-secret';
    fake = await startFakeUpstream();
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    await migrate(pool);
    // The API runs no worker: the batch can only run in the child processes.
    api = await startGateway({
      config: testConfigFor(fake.url, OVERRIDES),
      databaseUrl: process.env.DATABASE_URL!,
      temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
      roles: { api: true, worker: false },
      port: 0,
      logger: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await api?.stop();
    await pool.end();
    await fake.close();
  });

  async function spawnWorker(): Promise<ChildProcess> {
    const child = spawnProcessScript('batch-worker.ts', { FAKE_URL: fake.url, CONFIG_OVERRIDES: JSON.stringify(OVERRIDES) });
    children.push(child);
    await announcement(child, 'batch-worker.ts', (line) => line === 'ready');
    return child;
  }

  async function answered(batchId: string): Promise<number> {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM batch_results WHERE batch_id = $1', [batchId]);
    return rows[0]!.n;
  }

  it('answers and charges every item exactly once across a SIGKILL', async () => {
    const account = await newAccount(pool, api.url!);
    await createBudget(pool, { scope: 'key', scopeId: account.keyId, period: 'total', limitUsd: '10' });
    const texts = Array.from({ length: ITEMS }, (_, i) => uniqueText(`restart ${i}`, '#delay=100'));
    const file = await uploadBatchFile(account.openai, jsonl(texts.map((t, i) => chatLine(`item-${i}`, 'gpt-test', t))));
    const first = await spawnWorker();
    const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });

    // Half-way: some pages done, one in flight.
    const deadline = Date.now() + 30_000;
    while ((await answered(batch.id)) < ITEMS / 2) {
      if (Date.now() > deadline) throw new Error('the batch did not get half-way');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(null) : first.once('exit', resolve)));
    const atKill = await answered(batch.id);
    expect(atKill).toBeLessThan(ITEMS);

    await spawnWorker();
    const done = await waitForBatch(account.openai, batch.id, undefined, 60_000);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: ITEMS, completed: ITEMS, failed: 0 });

    const output = await readResultFile(account.openai, done.output_file_id);
    const errors = await readResultFile(account.openai, done.error_file_id);
    const ids = [...output, ...errors].map((l) => l.custom_id);
    expect(ids.sort()).toEqual(texts.map((_, i) => `item-${i}`).sort());
    expect(new Set(ids).size).toBe(ITEMS);

    // One usage record and one settled hold per item; only items in flight at the kill were called twice.
    const { rows } = await pool.query<{ records: number; distinct_ids: number }>(
      'SELECT count(*)::int AS records, count(DISTINCT reservation_id)::int AS distinct_ids FROM usage_records WHERE reservation_id LIKE $1',
      [`batch-${batch.id}-%`],
    );
    expect(rows[0]).toEqual({ records: ITEMS, distinct_ids: ITEMS });
    const { rows: holds } = await pool.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM reservations WHERE id LIKE $1 GROUP BY state',
      [`batch-${batch.id}-%`],
    );
    expect(holds).toEqual([{ state: 'settled', n: ITEMS }]);
    const calls = texts.map((t) => fake.countFor(t));
    expect(calls.every((n) => n >= 1)).toBe(true);
    expect(calls.filter((n) => n > 1).length).toBeLessThanOrEqual(OVERRIDES.batch.concurrency);
    await expectLedgerBalanced(pool, [account.tenantId]);

    // The history stayed bounded: several runs chained by continue-as-new.
    let runs = 0;
    let runId: string | undefined;
    do {
      const history = await api.client.workflow.getHandle(`batch-${batch.id}`, runId).fetchHistory();
      runs++;
      runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    } while (runId);
    expect(runs).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
