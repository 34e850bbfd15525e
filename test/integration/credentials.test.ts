import { randomBytes } from 'node:crypto';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { insertCredential } from '../../db/credentials';
import { issueKey } from '../../db/keys';
import { secretFingerprint } from '../../secrets/secret-box';
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
  /** SWITCHYARD_CREDENTIAL_FILE_DIRS of this gateway: `file:` references may read only here. */
  const keysDir = mkdtempSync(path.join(tmpdir(), 'switchyard-keys-'));
  const fileSecret = `sk-upstream-file-${randomBytes(12).toString('hex')}`;
  const fileCredentialId = `cred-file-${randomBytes(4).toString('hex')}`;
  /** A credential row written before the reference checks existed, naming a file outside keysDir. */
  const legacyCredentialId = `cred-legacy-${randomBytes(4).toString('hex')}`;
  const outsideDir = mkdtempSync(path.join(tmpdir(), 'switchyard-outside-'));
  const outsideSecret = `sk-not-for-upstream-${randomBytes(12).toString('hex')}`;

  beforeAll(async () => {
    writeFileSync(path.join(keysDir, 'upstream-key'), `${fileSecret}\n`);
    writeFileSync(path.join(outsideDir, 'secret'), `${outsideSecret}\n`);
    symlinkSync(path.join(outsideDir, 'secret'), path.join(keysDir, 'link'));
    fake = await startFakeUpstream();
    const base = testConfigFor(fake.url);
    expect(base.providers.size).toBeGreaterThan(0);
    gw = await startGateway({
      config: testConfigFor(fake.url, {
        providers: {
          cred: { type: 'openai', base_url: `${fake.url}/v1`, credential: credentialId },
          'cred-file': { type: 'openai', base_url: `${fake.url}/v1`, credential: fileCredentialId },
          'cred-legacy': { type: 'openai', base_url: `${fake.url}/v1`, credential: legacyCredentialId },
        },
        models: {
          'cred-test': { deployments: [{ provider: 'cred', model: 'gpt-4o-mini' }] },
          'cred-file-test': { deployments: [{ provider: 'cred-file', model: 'gpt-4o-mini' }] },
          'cred-legacy-test': { deployments: [{ provider: 'cred-legacy', model: 'gpt-4o-mini' }] },
        },
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
      credentialFileDirs: [keysDir],
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

  /** Expects a 400 `invalid_value` naming `param`, with a message matching `message`. */
  async function expectRefused(res: Response, param: string, message: RegExp): Promise<void> {
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
    expect({ status: res.status, ...body.error, message: undefined }).toEqual({
      status: 400,
      type: 'invalid_request_error',
      param,
      code: 'invalid_value',
      message: undefined,
    });
    expect(body.error.message).toMatch(message);
  }

  it('refuses a provider the config does not declare', async () => {
    const res = await admin('POST', '/admin/credentials', { provider: 'not-configured', secret: `sk-${randomBytes(8).toString('hex')}` });
    await expectRefused(res, 'provider', /the config declares no provider "not-configured"/);
    const { rows } = await gw.pool.query('SELECT 1 FROM provider_credentials WHERE provider = $1', ['not-configured']);
    expect(rows).toHaveLength(0);
  });

  it("refuses references to the gateway's own secrets and to files outside SWITCHYARD_CREDENTIAL_FILE_DIRS, on create and rotate", async () => {
    const outside = path.join(outsideDir, 'secret');
    const escapes = ['file:/etc/shadow', `file:${outside}`, `file:${keysDir}/../${path.basename(outsideDir)}/secret`, `file:${keysDir}/link`];
    const ownSecrets = [
      'DATABASE_URL',
      'SWITCHYARD_ADMIN_TOKEN',
      'TEMPORAL_API_KEY',
      'SWITCHYARD_MASTER_KEY',
      'SWITCHYARD_MASTER_KEY_FILE',
      'SWITCHYARD_NEW_THING',
    ];
    for (const reference of escapes) {
      await expectRefused(
        await admin('POST', '/admin/credentials', { provider: 'cred-file', reference }),
        'reference',
        /not under a directory listed in SWITCHYARD_CREDENTIAL_FILE_DIRS/,
      );
    }
    for (const name of ownSecrets) {
      await expectRefused(
        await admin('POST', '/admin/credentials', { provider: 'cred-file', reference: `env:${name}` }),
        'reference',
        /names one of the gateway's own settings/,
      );
    }
    const { rows: stored } = await gw.pool.query('SELECT 1 FROM provider_credentials WHERE provider = $1', ['cred-file']);
    expect(stored).toHaveLength(0);

    // A file under the directory is accepted, and its content is the key sent upstream.
    const created = await admin('POST', '/admin/credentials', { id: fileCredentialId, provider: 'cred-file', reference: `file:${keysDir}/upstream-key` });
    expect(created.status).toBe(201);
    expect(((await created.json()) as CredentialBody).kind).toBe('file');
    await client.chat.completions.create({ model: 'cred-file-test', messages: [{ role: 'user', content: 'hello' }] });
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fileSecret}`);

    // Rotation takes the same references, and refuses the same ones; nothing is staged.
    for (const reference of [escapes[1]!, 'env:DATABASE_URL']) {
      await expectRefused(await admin('POST', `/admin/credentials/${fileCredentialId}/rotate`, { reference, grace_period_seconds: 0 }), 'reference', /./);
    }
    const { rows: versions } = await gw.pool.query('SELECT version FROM credential_versions WHERE credential_id = $1', [fileCredentialId]);
    expect(versions).toHaveLength(1);
  });

  it('never reads a reference stored before the checks that points outside SWITCHYARD_CREDENTIAL_FILE_DIRS', async () => {
    const reference = `file:${path.join(outsideDir, 'secret')}`;
    await insertCredential(gw.pool, {
      id: legacyCredentialId,
      provider: 'cred-legacy',
      version: { kind: 'file', reference, ...secretFingerprint(reference), last4: null },
    });
    const err = await client.chat.completions.create({ model: 'cred-legacy-test', messages: [{ role: 'user', content: 'hello' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'upstream_auth_error' });
    expect(fake.requests.some((r) => JSON.stringify(r.headers).includes(outsideSecret))).toBe(false);
  });
});
