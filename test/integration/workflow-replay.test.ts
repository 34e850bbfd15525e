import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

import { historyDataConverter } from '../../temporal/data-converter';
import { TEST_HISTORY_KEYRING } from '../support/history-keys';
import { startTestGateway, uniqueText, workflowBundle, type TestGateway } from '../support/test-gateway';
import { closedWorkflow } from '../support/closed-workflow';

const HISTORIES_DIR = path.join(__dirname, '..', 'histories');
/**
 * `SWITCHYARD_RECORD_HISTORIES=1 npx jest --selectProjects integration -- test/integration/workflow-replay`
 * rewrites the golden histories from this run (like `jest -u` for snapshots). Do that only for
 * a deliberate, not-yet-deployed change of workflow commands; a deployed change needs `patched()`
 * (or, like local attempts, a workflow input field the old histories lack). The fresh run uses
 * the default local attempts (`local-attempts-*`); the other committed histories were recorded
 * with regular attempts, or before the API held budgets, and must keep replaying.
 */
const RECORD = process.env.SWITCHYARD_RECORD_HISTORIES === '1';
/**
 * Replay decodes with the test keyring: fresh histories are encrypted, the committed ones may be
 * plain text (recorded before encryption) or encrypted under the fixed test key.
 */
const dataConverter = historyDataConverter(TEST_HISTORY_KEYRING);

describe('workflow determinism', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('replays fresh histories (success, retry, fallback, failure) without nondeterminism', async () => {
    const ids: Array<{ workflowId: string; golden: string }> = [];
    const run = async (golden: string, model: string, content: string) => {
      const { response } = await gw.openai.chat.completions
        .create({ model, messages: [{ role: 'user', content }] })
        .withResponse()
        .catch((e: { headers: Headers }) => ({ response: e.headers }));
      const headers = response instanceof Headers ? response : response.headers;
      ids.push({ workflowId: `chat-${headers.get('x-request-id')}`, golden });
    };
    await run('local-attempts-chat-success', 'gpt-test', uniqueText('replay ok'));
    await run('local-attempts-chat-retry-then-success', 'claude-test', uniqueText('replay retry', '#fault=500x1'));
    await run('local-attempts-chat-fallback', 'badkey-then-claude', uniqueText('replay fallback'));
    await run('local-attempts-chat-bad-request', 'gpt-test', uniqueText('replay fail', '#fault=400'));
    const embedding = await gw.openai.embeddings.create({ model: 'embed-test', input: uniqueText('replay embed') }).withResponse();
    ids.push({ workflowId: `embeddings-${embedding.response.headers.get('x-request-id')}`, golden: 'local-attempts-embeddings-success' });
    const histories = await Promise.all(
      ids.map(async ({ workflowId }) => ({ workflowId, history: await (await closedWorkflow(gw.gateway.client, workflowId)).fetchHistory() })),
    );
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter }, histories)) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(ids.length);
    if (RECORD) {
      histories.forEach(({ history }, i) => writeFileSync(path.join(HISTORIES_DIR, `${ids[i]!.golden}.json`), `${historyToJSON(history)}\n`));
    }
  });

  it('replays the committed golden histories', async () => {
    const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      // Recorded with `temporal workflow show --output json`; the SDK parses the proto JSON.
      const history: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, history, file);
    }
  });
});
