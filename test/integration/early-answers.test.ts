import { createBudget } from '../../db/ledger';
import type { ChatWorkflowResult } from '../../workflows/types';
import { expectLedgerBalanced, newAccount } from '../support/accounts';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/**
 * Early answers: a durable request started eagerly in the gateway's own worker is answered with
 * the result the workflow hands over as it completes, not the one read back from the server.
 * The answer must be the workflow's recorded result, its charge must already be in the ledger,
 * and failures, joined workflows and the idempotent read-back still go through `result()`.
 */
describe('early answers on the durable path', () => {
  let gw: TestGateway;
  const tenants: string[] = [];
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await expectLedgerBalanced(gw.gateway.pool, tenants);
    await gw.stop();
  });

  /** The counter of durable answers by kind and path, from /metrics (0 when absent). */
  async function answered(kind: string, via: 'early' | 'result'): Promise<number> {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`switchyard_durable_answers_total{kind="${kind}",via="${via}"} `));
    return line ? Number(line.split(' ')[1]) : 0;
  }

  it('answers with the workflow result handed over in-process, with the charge already recorded', async () => {
    const a = await newAccount(gw.gateway.pool, gw.url);
    tenants.push(a.tenantId);
    await createBudget(gw.gateway.pool, { scope: 'key', scopeId: a.keyId, period: 'day', limitUsd: '10' });
    const [early, read] = [await answered('chat', 'early'), await answered('chat', 'result')];

    const { data, response } = await a.openai.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('early answer') }], max_tokens: 20 })
      .withResponse();
    const requestId = response.headers.get('x-request-id')!;
    // At the moment the answer arrives, the settlement is committed: usage recorded, nothing held.
    const usage = await gw.gateway.pool.query<{ cost_usd: string }>('SELECT cost_usd FROM usage_records WHERE request_id = $1', [requestId]);
    expect(usage.rows).toHaveLength(1);
    expect(Number(usage.rows[0]!.cost_usd)).toBeGreaterThan(0);
    const held = await gw.gateway.pool.query<{ n: string }>(`SELECT count(*) AS n FROM reservations WHERE id = $1 AND state = 'reserved'`, [
      `chat-${requestId}`,
    ]);
    expect(held.rows[0]!.n).toBe('0');

    expect(await answered('chat', 'early')).toBe(early + 1);
    expect(await answered('chat', 'result')).toBe(read);
    // The answer is the result Temporal recorded for the workflow.
    const recorded = (await gw.gateway.client.workflow.getHandle(`chat-${requestId}`).result()) as ChatWorkflowResult;
    expect(data.id).toBe(recorded.response.id);
    expect(data.choices).toEqual(JSON.parse(JSON.stringify(recorded.response.choices)));
    expect(data.usage).toEqual(recorded.response.usage);
    expect(response.headers.get('x-switchyard-cost-usd')).toBe(recorded.costUsd);
    expect(gw.gateway.answers?.size).toBe(0);
  });

  it('starts every one of 150 concurrent slow requests eagerly and answers each early', async () => {
    // A workflow task keeps its worker slot while its local attempt waits on the upstream: with
    // too few slots, the server stops starting workflows eagerly and their tasks queue in matching.
    const before = await answered('chat', 'early');
    const texts = Array.from({ length: 150 }, (_, i) => uniqueText(`concurrent ${i}`, '#delay=1000'));
    const answers = await Promise.all(texts.map((content) => gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content }] })));
    expect(answers.every((a) => a.object === 'chat.completion')).toBe(true);
    expect(await answered('chat', 'early')).toBe(before + 150);
    expect(gw.gateway.answers?.size).toBe(0);
  });

  it('answers embeddings early too', async () => {
    const before = await answered('embeddings', 'early');
    const res = await gw.openai.embeddings.create({ model: 'embed-test', input: uniqueText('early embedding') });
    expect(res.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(await answered('embeddings', 'early')).toBe(before + 1);
  });

  it('takes a failure from the server: nothing is handed over, nothing is left waiting', async () => {
    const [early, read] = [await answered('chat', 'early'), await answered('chat', 'result')];
    await expect(
      gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: uniqueText('refused', '#fault=400') }] }),
    ).rejects.toMatchObject({ status: 400 });
    expect(await answered('chat', 'early')).toBe(early);
    expect(await answered('chat', 'result')).toBe(read);
    expect(gw.gateway.answers?.size).toBe(0);
  });

  it('reads an idempotent replay back from the server, with the first answer', async () => {
    const options = { headers: { 'Idempotency-Key': `early-${Math.random()}` } };
    const body = { model: 'gpt-test', messages: [{ role: 'user' as const, content: uniqueText('idempotent early') }] };
    const [early, read] = [await answered('chat', 'early'), await answered('chat', 'result')];
    const first = await gw.openai.chat.completions.create(body, options);
    const second = await gw.openai.chat.completions.create(body, options);
    expect(second).toEqual(first);
    expect(gw.fake.countFor(body.messages[0]!.content)).toBe(1);
    expect(await answered('chat', 'early')).toBe(early + 1);
    expect(await answered('chat', 'result')).toBe(read + 1);
  });

  it('joins concurrent requests under one Idempotency-Key: one early answer, the other read back', async () => {
    const options = { headers: { 'Idempotency-Key': `early-join-${Math.random()}` } };
    const text = uniqueText('joined early', '#delay=300');
    const body = { model: 'gpt-test', messages: [{ role: 'user' as const, content: text }] };
    const [early, read] = [await answered('chat', 'early'), await answered('chat', 'result')];
    const [x, y] = await Promise.all([gw.openai.chat.completions.create(body, options), gw.openai.chat.completions.create(body, options)]);
    expect(y).toEqual(x);
    expect(gw.fake.countFor(text)).toBe(1);
    expect((await answered('chat', 'early')) - early + ((await answered('chat', 'result')) - read)).toBe(2);
    expect(await answered('chat', 'early')).toBe(early + 1);
    expect(gw.gateway.answers?.size).toBe(0);
  });
});
