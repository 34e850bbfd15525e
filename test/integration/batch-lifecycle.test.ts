import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import OpenAI from 'openai';
import { createBudget, reconcileBudgets } from '../../db/ledger';
import { createLogger } from '../../observability/logger';
import { findCurrentPrice } from '../../prices/price-store';
import type { ChatRequest } from '../../providers/types';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { historyDataConverter } from '../../temporal/data-converter';
import { estimateChatCost } from '../../tokens/estimate';
import { batchWorkflowId } from '../../temporal/workflow-ids';
import { expectLedgerBalanced, newAccount } from '../support/accounts';
import { TEST_HISTORY_KEYRING } from '../support/history-keys';
import { chatLine, jsonl, readResultFile, uploadBatchFile, waitForBatch } from '../support/batches';
import { startTestGateway, testConfigFor, uniqueText, workflowBundle, type TestGateway } from '../support/test-gateway';

const BATCH = { page_size: 4, concurrency: 2 };
/** As in workflow-replay.test.ts: `SWITCHYARD_RECORD_HISTORIES=1` rewrites the golden batch histories. */
const RECORD = process.env.SWITCHYARD_RECORD_HISTORIES === '1';
const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

/** Cancel, expiry and budget exhaustion of a running batch. */
describe('batch lifecycle', () => {
  let gw: TestGateway;
  /** An API whose completion window is 2 s (the batches run on `gw`'s worker). */
  let shortWindow: RunningGateway;
  const tenants: string[] = [];
  /** Finished batches whose histories the last test replays. */
  const replays: Array<{ batchId: string; golden: string }> = [];
  beforeAll(async () => {
    gw = await startTestGateway({ configOverrides: { batch: BATCH } });
    shortWindow = await startGateway({
      config: testConfigFor(gw.fake.url, { batch: { ...BATCH, completion_window_seconds: 2 } }),
      databaseUrl: process.env.DATABASE_URL!,
      temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
      roles: { api: true, worker: false },
      port: 0,
      logger: createLogger({ level: 'silent' }),
      historyKeyring: TEST_HISTORY_KEYRING,
    });
  });
  afterAll(async () => {
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await shortWindow?.stop();
    await gw?.stop();
  });

  async function slowBatch(openai: OpenAI, items: number, delayMs: number): Promise<{ batch: OpenAI.Batch; ids: string[] }> {
    const ids = Array.from({ length: items }, (_, i) => `slow-${i}`);
    const file = await uploadBatchFile(openai, jsonl(ids.map((id) => chatLine(id, 'gpt-test', uniqueText(id, `#delay=${delayMs}`)))));
    const batch = await openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    return { batch, ids };
  }

  it('cancels: no new items, in-flight ones finish, partial output kept', async () => {
    const account = await newAccount(gw.gateway.pool, gw.url);
    const { batch, ids } = await slowBatch(account.openai, 24, 150);
    await waitForBatch(account.openai, batch.id, (b) => b.request_counts!.completed >= 2, 20_000);
    // The batch queue keeps workflow stack traces (the interactive queue runs without them).
    const stack: unknown = await gw.gateway.client.workflow.getHandle(batchWorkflowId(batch.id)).query('__stack_trace');
    expect(stack).toEqual(expect.stringContaining('batch'));
    const cancelling = await account.openai.batches.cancel(batch.id);
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));

    const done = await waitForBatch(account.openai, batch.id);
    expect(done.status).toBe('cancelled');
    replays.push({ batchId: batch.id, golden: 'batch-cancelled' });
    expect(done.cancelled_at).toEqual(expect.any(Number));
    const output = await readResultFile(account.openai, done.output_file_id);
    expect(output.length).toBeGreaterThanOrEqual(2);
    expect(output.length).toBeLessThan(ids.length);
    expect(done.request_counts).toEqual({ total: 24, completed: output.length, failed: 0 });
    expect(new Set(output.map((l) => l.custom_id)).size).toBe(output.length);
    // Items never started get no line (OpenAI leaves them out of a cancelled batch's files).
    expect(done.error_file_id).toBeNull();
    // Nothing ran after the cancel: every line of the output was answered, none is pending.
    const { rows } = await gw.gateway.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM batch_results WHERE batch_id = $1', [batch.id]);
    expect(rows[0]!.n).toBe(output.length);

    // Cancelling again answers the batch as it is; a completed batch cannot be cancelled.
    expect((await account.openai.batches.cancel(batch.id)).status).toBe('cancelled');
    const quick = await uploadBatchFile(account.openai, jsonl([chatLine('q', 'gpt-test', uniqueText('quick'))]));
    const finished = await account.openai.batches.create({ input_file_id: quick.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await waitForBatch(account.openai, finished.id);
    await expect(account.openai.batches.cancel(finished.id)).rejects.toMatchObject({ status: 409, error: { code: 'batch_not_cancellable' } });
  }, 60_000);

  it('expires at the completion window: unfinished items become batch_expired error lines', async () => {
    const account = await newAccount(gw.gateway.pool, gw.url);
    const openai = new OpenAI({ apiKey: account.key, baseURL: `${shortWindow.url}/v1`, maxRetries: 0 });
    const { batch, ids } = await slowBatch(openai, 30, 200);
    expect(batch.expires_at! - batch.created_at).toBeLessThanOrEqual(3);

    const done = await waitForBatch(openai, batch.id);
    expect(done.status).toBe('expired');
    replays.push({ batchId: batch.id, golden: 'batch-expired' });
    expect(done.expired_at).toEqual(expect.any(Number));
    const output = await readResultFile(openai, done.output_file_id);
    const errors = await readResultFile(openai, done.error_file_id);
    expect(output.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual([...ids].sort());
    for (const e of errors) {
      expect(e).toMatchObject({ id: expect.stringMatching(/^batch_req_/), response: null, error: { code: 'batch_expired' } });
    }
    expect(done.request_counts).toEqual({ total: 30, completed: output.length, failed: errors.length });
  }, 60_000);

  it('fails the items a budget has no room for with budget_exceeded, never overspending', async () => {
    const account = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(account.tenantId);
    const limit = '0.0001';
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: account.keyId, period: 'total', limitUsd: limit });
    const ids = Array.from({ length: 20 }, (_, i) => `budget-${i}`);
    const lines = ids.map((id) => {
      const line = chatLine(id, 'gpt-test', uniqueText(id));
      return { ...line, body: { ...line.body, max_tokens: 50 } };
    });
    const file = await uploadBatchFile(account.openai, jsonl(lines));
    const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitForBatch(account.openai, batch.id);
    expect(done.status).toBe('completed');
    replays.push({ batchId: batch.id, golden: 'batch-budget-exhausted' });

    const output = await readResultFile(account.openai, done.output_file_id);
    const errors = await readResultFile(account.openai, done.error_file_id);
    expect(output.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual([...ids].sort());
    for (const e of errors) {
      expect(e.response).toMatchObject({ status_code: 429, body: { error: { code: 'budget_exceeded', type: 'rate_limit_error' } } });
    }
    const [budget] = await reconcileBudgets(gw.gateway.pool, account.tenantId);
    expect(Number(budget!.spentUsd)).toBeLessThanOrEqual(Number(limit));
    expect(budget!.reservedUsd).toBe('0');
    const { rows } = await gw.gateway.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_records WHERE reservation_id LIKE $1', [
      `batch-${batch.id}-%`,
    ]);
    expect(rows[0]!.n).toBe(output.length);
  }, 60_000);

  it('waits for budget room its own items in flight hold, instead of failing items that fit', async () => {
    const account = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(account.tenantId);
    const ids = Array.from({ length: 8 }, (_, i) => `held-${i}`);
    // A large output cap makes each hold far bigger than what an item spends, and a delay keeps
    // both of the page's items in flight at once: the budget fits one hold at a time but all spends.
    const lines = ids.map((id) => {
      const line = chatLine(id, 'gpt-test', uniqueText(id, '#delay=150'));
      return { ...line, body: { ...line.body, max_tokens: 4000 } };
    });
    const price = await findCurrentPrice(gw.gateway.pool, 'gpt-4o-mini');
    const estimates = lines.map((l) => Number(estimateChatCost(l.body as ChatRequest, 'gpt-4o-mini', price!).costUsd));
    const limit = (Math.max(...estimates) * 1.5).toFixed(10);
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: account.keyId, period: 'total', limitUsd: limit });
    const file = await uploadBatchFile(account.openai, jsonl(lines));
    const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const done = await waitForBatch(account.openai, batch.id);

    expect(done.request_counts).toEqual({ total: 8, completed: 8, failed: 0 });
    const output = await readResultFile(account.openai, done.output_file_id);
    expect(output.map((l) => l.custom_id).sort()).toEqual([...ids].sort());
    const [budget] = await reconcileBudgets(gw.gateway.pool, account.tenantId);
    expect(Number(budget!.spentUsd)).toBeLessThanOrEqual(Number(limit));
    expect(budget!.reservedUsd).toBe('0');
    // No refusal was recorded on the way: the waiting items' refusals were never written.
    const { rows } = await gw.gateway.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM reservations WHERE id LIKE $1 AND state = 'refused'", [
      `batch-${batch.id}-%`,
    ]);
    expect(rows[0]!.n).toBe(0);
  }, 60_000);

  it('replays the batch histories (cancel signal, expiry timer, completion) without nondeterminism', async () => {
    expect(replays).toHaveLength(3);
    const histories = await Promise.all(
      replays.map(async ({ batchId }) => ({
        workflowId: `batch-${batchId}`,
        history: await gw.gateway.client.workflow.getHandle(`batch-${batchId}`).fetchHistory(),
      })),
    );
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await workflowBundle(), dataConverter: historyDataConverter(TEST_HISTORY_KEYRING) },
      histories,
    )) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(3);
    if (RECORD) {
      histories.forEach(({ history }, i) => writeFileSync(path.join(HISTORIES_DIR, `${replays[i]!.golden}.json`), `${historyToJSON(history)}\n`));
    }
  });
});
