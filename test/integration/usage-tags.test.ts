import { issueKey } from '../../db/keys';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/** A key's cost-allocation tags land on every usage record it causes, on both paths. */
describe('cost-allocation tags on usage records', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('copies the key tags onto durable and streamed usage records', async () => {
    const tags = { project: 'search', cost_center: 'cc-42' };
    const issued = await issueKey(gw.gateway.pool, { name: 'tagged', tags });
    const call = (stream: boolean) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-test', stream, messages: [{ role: 'user', content: uniqueText('tags') }] }),
      });
    const ids: string[] = [];
    for (const stream of [false, true]) {
      const res = await call(stream);
      expect(res.status).toBe(200);
      await res.text();
      ids.push(res.headers.get('x-request-id')!);
    }
    // A stream settles after its last byte: wait for its record.
    const deadline = Date.now() + 5_000;
    let rows: Array<{ tags: Record<string, string> }> = [];
    while (Date.now() < deadline) {
      ({ rows } = await gw.gateway.pool.query<{ tags: Record<string, string> }>('SELECT tags FROM usage_records WHERE request_id = ANY($1)', [ids]));
      if (rows.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows.map((r) => r.tags)).toEqual([tags, tags]);
  });
});
