import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

import { startTestGateway, uniqueText, workflowBundle, type TestGateway } from '../support/test-gateway';

const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

describe('workflow determinism', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('replays fresh histories (success, retry, fallback, failure) without nondeterminism', async () => {
    const ids: string[] = [];
    const run = async (model: string, content: string) => {
      const { response } = await gw.openai.chat.completions
        .create({ model, messages: [{ role: 'user', content }] })
        .withResponse()
        .catch((e: { headers: Headers }) => ({ response: e.headers }));
      const headers = response instanceof Headers ? response : response.headers;
      ids.push(`chat-${headers.get('x-request-id')}`);
    };
    await run('gpt-test', uniqueText('replay ok'));
    await run('claude-test', uniqueText('replay retry', '#fault=500x1'));
    await run('badkey-then-claude', uniqueText('replay fallback'));
    await run('gpt-test', uniqueText('replay fail', '#fault=400'));
    const histories = await Promise.all(ids.map(async (workflowId) => ({ workflowId, history: await gw.gateway.client.workflow.getHandle(workflowId).fetchHistory() })));
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      expect(result.error).toBeUndefined();
    }
  });

  it('replays the committed golden histories', async () => {
    const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      // Recorded with `temporal workflow show --output json`; the SDK parses the proto JSON.
      const history: unknown = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file);
    }
  });
});
