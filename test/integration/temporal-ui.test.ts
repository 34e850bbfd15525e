import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { newAccount, type TestAccount } from '../support/accounts';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts');

/**
 * What ops do in the Temporal Web UI, in a real headless Chromium: filter the workflow list by
 * Switchyard's search attributes, find a request's workflow, open it. Screenshots of the pages
 * are kept in test-artifacts/ (git-ignored).
 */
describe('the Temporal UI', () => {
  let gw: TestGateway;
  let browser: Browser;
  let account: TestAccount;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: this test needs Debian's Chromium (apt-get install -y chromium)`);
    if (!process.env.TEMPORAL_UI_URL) throw new Error('TEMPORAL_UI_URL is not set: with an external TEMPORAL_ADDRESS, set it to that server’s Web UI');
    [gw, browser] = await Promise.all([startTestGateway(), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
    account = await newAccount(gw.gateway.pool, gw.url);
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  async function request(model: string): Promise<string> {
    const { response } = await account.openai.chat.completions.create({ model, messages: [{ role: 'user', content: uniqueText('ui') }] }).withResponse();
    return `chat-${response.headers.get('x-request-id')}`;
  }

  it('lists a request by tenant and model, and opens its workflow', async () => {
    const workflowId = await request('gpt-test');
    const otherModel = await request('claude-test');
    const query = `SwitchyardTenant="${account.tenantId}" AND LlmModel="gpt-test"`;
    // The UI reads the same visibility store: wait until the server lists the run there.
    for (let i = 0; i < 100; i++) {
      const ids: string[] = [];
      for await (const w of gw.gateway.client.workflow.list({ query: `${query} AND RequestOutcome="success"` })) ids.push(w.workflowId);
      if (ids.includes(workflowId)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const ui = process.env.TEMPORAL_UI_URL!;
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
    await page.goto(`${ui}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
    const link = page.getByRole('link', { name: workflowId });
    await link.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByText(otherModel).count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-list.png'), fullPage: true });

    await link.click();
    await page.waitForURL((url) => url.pathname.includes(`/workflows/${workflowId}/`), { timeout: 30_000 });
    // The workflow page: its id, type and the provider call's activity. (Its summary,
    // `oai / gpt-4o-mini`, is a payload: encrypted by the history codec, readable through /codec.)
    await page.getByText('chatCompletionWorkflow').first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.getByText('callChat').first().waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.getByText(workflowId).count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-workflow.png'), fullPage: true });

    // Its search attributes, as the final upsert left them.
    await page.getByText('Search Attributes', { exact: true }).click();
    await page.getByText('RequestOutcome').first().waitFor({ state: 'visible', timeout: 30_000 });
    const attributes = await page.locator('main').innerText();
    expect(attributes).toContain('CostUsd');
    expect(attributes).toContain(account.tenantId);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-search-attributes.png'), fullPage: true });
    await page.close();
  });
});
