import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { chatWorkflowId } from '../../temporal/workflow-ids';
import { startDevServer, type DevServerHandle } from '../../temporal/dev-server';
import { SEARCH_ATTRIBUTE_DEFS } from '../../temporal/search-attribute-defs';
import { ADMIN_TOKEN, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The operator's path in a real browser: sign in at the gateway's /codec/session, point the real
 * Temporal UI (the dev server's, UI 2.42) at the gateway's codec endpoint with "include
 * cross-origin credentials", and read a decrypted prompt in the workflow's history.
 */
describe('Temporal UI reading encrypted history through the codec endpoint', () => {
  let dir: string;
  let dev: DevServerHandle;
  let gw: TestGateway;
  let browser: Browser;
  const savedAddress = process.env.TEMPORAL_ADDRESS;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-codec-ui-'));
    dev = await startDevServer({
      cliPath: process.env.TEMPORAL_CLI_PATH!,
      dbFile: path.join(dir, 'dev.db'),
      port: 0,
      uiPort: 0,
      namespace: 'default',
      searchAttributes: SEARCH_ATTRIBUTE_DEFS,
      log: () => undefined,
    });
    // This gateway talks to the dev server that has the UI, not to the run's headless one.
    process.env.TEMPORAL_ADDRESS = dev.address;
    gw = await startTestGateway({ codecCorsOrigins: [dev.uiUrl!] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    process.env.TEMPORAL_ADDRESS = savedAddress;
    await dev?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the decrypted prompt after signing in and enabling cross-origin credentials', async () => {
    const prompt = uniqueText('ui can read this prompt');
    const { response } = await gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }] }).withResponse();
    const workflowId = chatWorkflowId(response.headers.get('x-request-id')!);
    const handle = gw.gateway.client.workflow.getHandle(workflowId);
    await handle.result();
    const { runId } = await handle.describe();

    const context = await browser.newContext();
    const page = await context.newPage();
    const ui = dev.uiUrl!;
    const historyPage = `${ui}/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
    const decodeResponse = () =>
      page.waitForResponse((res) => res.url() === `${gw.url}/codec/decode` && res.request().method() === 'POST', { timeout: 20_000 });

    // The UI's own codec settings for this browser (what its settings panel stores): our endpoint,
    // this browser's setting over the cluster's, cookies included.
    await page.goto(ui);
    const settings = { endpoint: JSON.stringify(`${gw.url}/codec`), includeCredentials: 'true', overrideRemoteCodecConfiguration: 'true' };
    // A string: the test project has no DOM typings; this runs in the page.
    await page.evaluate(`for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v)`);

    // Not signed in: the UI's decode calls are refused.
    const refused = decodeResponse();
    await page.goto(historyPage);
    expect((await refused).status()).toBe(401);

    await page.goto(`${gw.url}/codec/session`);
    await page.fill('input[name=token]', ADMIN_TOKEN);
    await Promise.all([page.waitForLoadState(), page.click('button')]);
    expect(await page.textContent('h1')).toBe('Signed in');

    const accepted = decodeResponse();
    await page.goto(historyPage);
    expect((await accepted).status()).toBe(200);
    await page.getByText(prompt).first().waitFor({ timeout: 20_000 });
    await context.close();
  });
});
