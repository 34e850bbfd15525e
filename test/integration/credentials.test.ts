import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { issueKey } from '../../db/keys';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { capturingLogger, waitUntil } from '../support/log-capture';
import { ADMIN_TOKEN, testConfigFor, workflowBundle } from '../support/test-gateway';

interface CredentialBody {
  id: string;
  kind: string;
  fingerprint: string;
  last4: string | null;
  versions: Array<{ version: number; state: string }>;
}

/** Upstream credentials stored sealed in Postgres, resolved per call, rotated with the old secret as a 401/403 fallback. */
describe('provider credentials and their rotation', () => {
  let fake: FakeUpstream;
  let gw: RunningGateway;
  let client: OpenAI;
  const logs = capturingLogger();
  const credentialId = `cred-${randomBytes(4).toString('hex')}`;
  const oldSecret = `sk-upstream-old-${randomBytes(12).toString('hex')}`;
  const newSecret = `sk-upstream-new-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    const base = testConfigFor(fake.url);
    expect(base.providers.size).toBeGreaterThan(0);
    gw = await startGateway({
      config: testConfigFor(fake.url, {
        providers: { cred: { type: 'openai', base_url: `${fake.url}/v1`, credential: credentialId } },
        models: { 'cred-test': { deployments: [{ provider: 'cred', model: 'gpt-4o-mini' }] } },
      }),
      databaseUrl: process.env.DATABASE_URL!,
      temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
      roles: { api: true, worker: true },
      port: 0,
      adminToken: ADMIN_TOKEN,
      logger: logs.logger,
      workflowBundle: await workflowBundle(),
      masterKey: randomBytes(32),
      credentialCacheTtlMs: 500,
    });
    const key = await issueKey(gw.pool, { name: 'credentials test' });
    client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 30_000 });
  });
  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  function admin(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${gw.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** One durable and one streamed request; both must succeed, and the fake must have seen `secret` last. */
  async function bothPathsServe(secret: string): Promise<void> {
    const done = await client.chat.completions.create({ model: 'cred-test', messages: [{ role: 'user', content: 'hello' }] });
    expect(done.choices[0]!.message.content).toBeTruthy();
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secret}`);
    const stream = await client.chat.completions.create({ model: 'cred-test', messages: [{ role: 'user', content: 'hello' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secret}`);
  }

  async function credential(): Promise<CredentialBody> {
    const res = await admin('GET', `/admin/credentials/${credentialId}`);
    expect(res.status).toBe(200);
    return (await res.json()) as CredentialBody;
  }

  it('stores a secret sealed, shows only its fingerprint, and serves both paths with it', async () => {
    const res = await admin('POST', '/admin/credentials', { id: credentialId, provider: 'cred', secret: oldSecret });
    expect(res.status).toBe(201);
    const body = (await res.json()) as CredentialBody;
    expect(body).toMatchObject({ id: credentialId, kind: 'stored', last4: oldSecret.slice(-4) });
    expect(body.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    const { rows } = await gw.pool.query<{ sealed: Buffer }>('SELECT sealed FROM credential_versions WHERE credential_id = $1', [credentialId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sealed.includes(Buffer.from(oldSecret))).toBe(false);
    expect(rows[0]!.sealed.toString('latin1')).not.toContain(oldSecret.slice(0, 12));
    await bothPathsServe(oldSecret);
  });

  it('rotates without a client-visible error while either secret is refused upstream', async () => {
    // The new secret is not live upstream yet: the old one serves as the fallback.
    fake.refuseKey(newSecret);
    const res = await admin('POST', `/admin/credentials/${credentialId}/rotate`, { secret: newSecret, grace_period_seconds: 4 });
    expect(res.status).toBe(201);
    const rotation = (await res.json()) as { id: string; status: string; workflow_id: string };
    expect(rotation).toMatchObject({ status: 'grace', workflow_id: `rotate-credential-${credentialId}` });
    expect((await admin('POST', `/admin/credentials/${credentialId}/rotate`, { secret: newSecret })).status).toBe(409);
    await waitUntil('the new version to be primary', async () => (await credential()).versions.find((v) => v.version === 2)?.state === 'primary');
    await bothPathsServe(oldSecret);

    // Now the provider revokes the old one mid-rotation: the new one serves.
    fake.acceptKey(newSecret);
    fake.refuseKey(oldSecret);
    await bothPathsServe(newSecret);

    // After the grace period the old version is erased.
    await waitUntil('the old version to retire', async () => (await credential()).versions.find((v) => v.version === 1)?.state === 'retired');
    const { rows } = await gw.pool.query<{ version: number; sealed: Buffer | null }>(
      'SELECT version, sealed FROM credential_versions WHERE credential_id = $1 ORDER BY version',
      [credentialId],
    );
    expect(rows[0]!.sealed).toBeNull();
    expect(rows[1]!.sealed!.includes(Buffer.from(newSecret))).toBe(false);
    await bothPathsServe(newSecret);
  });

  it('accepts references, refuses bad input, and never returns or logs a secret', async () => {
    const ref = await admin('POST', '/admin/credentials', { provider: 'cred', reference: 'env:SOME_UPSTREAM_KEY' });
    expect(ref.status).toBe(201);
    expect(((await ref.json()) as CredentialBody).kind).toBe('env');
    const both = await admin('POST', '/admin/credentials', { provider: 'cred', secret: 'x'.repeat(10), reference: 'env:X' });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: { code: string } }).error.code).toBe('invalid_value');
    expect((await admin('POST', '/admin/credentials', { provider: 'cred', reference: 'http://x' })).status).toBe(400);
    expect((await admin('POST', '/admin/credentials', { id: credentialId, provider: 'cred', secret: 'y'.repeat(10) })).status).toBe(409);
    expect((await admin('GET', '/admin/credentials/nope')).status).toBe(404);
    expect((await fetch(`${gw.url}/admin/credentials`)).status).toBe(401);

    const listed = await (await admin('GET', '/admin/credentials')).text();
    const audit = await (await admin('GET', '/admin/audit?entity_type=credential')).text();
    expect(audit).toContain(credentialId);
    for (const text of [listed, audit, logs.text()]) {
      expect(text).not.toContain(oldSecret);
      expect(text).not.toContain(newSecret);
    }
    const del = await admin('DELETE', `/admin/credentials/${credentialId}`);
    expect(del.status).toBe(200);
    const { rows } = await gw.pool.query('SELECT 1 FROM credential_versions WHERE credential_id = $1 AND sealed IS NOT NULL', [credentialId]);
    expect(rows).toHaveLength(0);
  });
});
