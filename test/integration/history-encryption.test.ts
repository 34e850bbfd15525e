import { execFile } from 'node:child_process';
import { inspect, promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import type { APIPromise } from 'openai/core/api-promise';
import { createLogger } from '../../observability/logger';
import { ENCRYPTED_ENCODING, ENCRYPTION_KEY_ID, HistoryEncryptionCodec } from '../../temporal/encryption-codec';
import { historyKeyring } from '../../temporal/history-keyring';
import { chatWorkflowId, embeddingsWorkflowId } from '../../temporal/workflow-ids';
import { TEST_HISTORY_KEYRING, testHistoryKey } from '../support/history-keys';
import { b64, codecCall, payloadTexts, toJson, unb64, type JsonPayload } from '../support/codec-http';
import { decodedText, readRawHistory, userPayloads, type RawHistory } from '../support/raw-history';
import { ADMIN_TOKEN, installTestRuntime, startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

const execFileAsync = promisify(execFile);
const UI_ORIGIN = 'http://localhost:8233';
const UPSTREAM_KEY = 'fake-upstream-key';

/** Request id (and answer) of an OpenAI SDK call, whether it succeeded or failed. */
async function requestIdOf<T>(call: APIPromise<T>): Promise<{ requestId: string; data?: T; error?: { status: number; message: string } }> {
  try {
    const { data, response } = await call.withResponse();
    return { requestId: response.headers.get('x-request-id')!, data };
  } catch (err) {
    const e = err as { status: number; message: string; headers: Headers };
    return { requestId: e.headers.get('x-request-id')!, error: { status: e.status, message: e.message } };
  }
}

describe('encrypted workflow history', () => {
  const sdkLog: string[] = [];
  const gatewayLog: string[] = [];
  const codec = new HistoryEncryptionCodec(TEST_HISTORY_KEYRING);
  let gw: TestGateway;
  let stopped = false;
  /** Texts that must never reach history in plain text, nor any log. */
  const secrets: string[] = [];

  let chat: { prompt: string; completion: string; history: RawHistory; workflowId: string };
  let tool: { description: string; history: RawHistory };
  let embedding: { input: string; history: RawHistory };
  let failure: { prompt: string; history: RawHistory; workflowId: string };

  beforeAll(async () => {
    installTestRuntime(new DefaultLogger('DEBUG', (entry: LogEntry) => sdkLog.push(`${entry.level} ${entry.message} ${inspect(entry.meta, { depth: 6 })}`)));
    gw = await startTestGateway({ logger: createLogger({ level: 'trace', destination: { write: (line: string) => void gatewayLog.push(line) } }) });
    secrets.push(gw.key, UPSTREAM_KEY, ADMIN_TOKEN, ...[...TEST_HISTORY_KEYRING.byId.values()].map((k) => k.key.toString('base64')));

    const prompt = uniqueText('confidential prompt about project nightingale');
    const sync = await requestIdOf(gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }] }));
    const completion = sync.data!.choices[0]!.message.content!;
    expect(completion).toContain('Hello from fake');
    chat = { prompt, completion, history: await readRawHistory(gw.gateway.client, chatWorkflowId(sync.requestId)), workflowId: chatWorkflowId(sync.requestId) };

    const description = uniqueText('looks up the weather for the secret itinerary');
    const called = await requestIdOf(
      gw.openai.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: uniqueText('where next', '#tool') }],
        tools: [{ type: 'function', function: { name: 'get_weather', description, parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      }),
    );
    tool = { description, history: await readRawHistory(gw.gateway.client, chatWorkflowId(called.requestId)) };

    const input = uniqueText('embed this private diary entry');
    const embedded = await requestIdOf(gw.openai.embeddings.create({ model: 'embed-test', input }));
    embedding = { input, history: await readRawHistory(gw.gateway.client, embeddingsWorkflowId(embedded.requestId)) };

    const failingPrompt = uniqueText('a very long confidential contract', '#fault=context');
    const failed = await requestIdOf(gw.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: failingPrompt }] }));
    // The upstream's message went through Temporal as an encrypted failure and still reaches the client.
    expect(failed.error?.status).toBe(400);
    expect(failed.error?.message).toContain('maximum context length');
    failure = {
      prompt: failingPrompt,
      history: await readRawHistory(gw.gateway.client, chatWorkflowId(failed.requestId)),
      workflowId: chatWorkflowId(failed.requestId),
    };
    secrets.push(prompt, completion, description, input, failingPrompt);
  });

  afterAll(async () => {
    if (!stopped) await gw.stop();
  });

  describe('the raw history on the server', () => {
    const plainNeedles = (): string[] => [
      chat.prompt,
      chat.completion,
      tool.description,
      '"city":"Paris"',
      embedding.input,
      failure.prompt,
      gw.key,
      UPSTREAM_KEY,
    ];

    it('contains no prompt, completion, tool arguments, embedding input or key, in any history', () => {
      for (const history of [chat.history, tool.history, embedding.history, failure.history]) {
        expect(history.bytes.length).toBeGreaterThan(500);
        for (const needle of plainNeedles()) expect(history.bytes.includes(Buffer.from(needle))).toBe(false);
      }
    });

    it("keeps the failure's upstream message encrypted too (only its type is plain text)", () => {
      expect(failure.history.bytes.includes(Buffer.from('maximum context length'))).toBe(false);
      expect(failure.history.bytes.includes(Buffer.from('Encoded failure'))).toBe(true);
      expect(failure.history.bytes.includes(Buffer.from('ProviderContextLength'))).toBe(true);
    });

    it('holds only encrypted payloads under the active key, apart from search attributes and headers', () => {
      for (const history of [chat.history, tool.history, embedding.history, failure.history]) {
        const coded = userPayloads(history);
        expect(coded.length).toBeGreaterThan(2);
        for (const { path, payload } of coded) {
          expect([path, Buffer.from(payload.metadata!.encoding!).toString()]).toEqual([path, ENCRYPTED_ENCODING]);
          expect(Buffer.from(payload.metadata![ENCRYPTION_KEY_ID]!).toString()).toBe('test-a');
        }
      }
    });

    it('decodes back to the prompt, completion, tool call, input and failure message with the keyring', async () => {
      const chatText = await decodedText(codec, chat.history);
      expect(chatText).toContain(chat.prompt);
      expect(chatText).toContain(chat.completion);
      const toolText = await decodedText(codec, tool.history);
      expect(toolText).toContain(tool.description);
      expect(toolText).toContain('Paris');
      expect(await decodedText(codec, embedding.history)).toContain(embedding.input);
      const failureText = await decodedText(codec, failure.history);
      expect(failureText).toContain(failure.prompt);
      expect(failureText).toContain('maximum context length');
    });
  });

  describe('the codec endpoint for the Temporal UI', () => {
    it('refuses a request without the admin token (401), with CORS headers the browser can read', async () => {
      const res = await codecCall(gw.url, 'decode', { payloads: toJson(chat.history) }, { origin: UI_ORIGIN });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('invalid_admin_token');
      expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect((await codecCall(gw.url, 'encode', { payloads: [] }, { token: 'wrong-token-0123456789' })).status).toBe(401);
    });

    it('answers the preflight of both UI origins, and refuses other origins', async () => {
      for (const origin of [UI_ORIGIN, 'http://127.0.0.1:8233']) {
        const res = await fetch(`${gw.url}/codec/decode`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
        });
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(origin);
        expect(res.headers.get('access-control-allow-methods')).toContain('POST');
        expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-namespace');
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        expect(res.headers.get('vary')).toContain('Origin');
      }
      const evil = await fetch(`${gw.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      });
      expect(evil.status).toBe(403);
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const evilPost = await codecCall(gw.url, 'decode', { payloads: toJson(chat.history) }, { token: ADMIN_TOKEN, origin: 'http://evil.example' });
      expect(evilPost.status).toBe(403);
      expect(evilPost.body.error?.code).toBe('origin_not_allowed');
    });

    it('decodes the raw history payloads the UI sends, the way the UI sends them', async () => {
      const res = await codecCall(gw.url, 'decode', { payloads: toJson(chat.history) }, { token: ADMIN_TOKEN, origin: UI_ORIGIN });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(res.body.payloads).toHaveLength(chat.history.payloads.length);
      const texts = res.body.payloads!.map((p) => unb64(p.data)).join('\n');
      expect(texts).toContain(chat.prompt);
      expect(texts).toContain(chat.completion);
      expect(res.body.payloads!.some((p) => unb64(p.metadata.encoding) === 'json/plain')).toBe(true);
    });

    it('round-trips encode then decode, and passes unencrypted payloads through', async () => {
      const original = { metadata: { encoding: b64('json/plain') }, data: b64('{"hello":"world"}') };
      const encoded = await codecCall(gw.url, 'encode', { payloads: [original] }, { token: ADMIN_TOKEN });
      expect(encoded.status).toBe(200);
      expect(unb64(encoded.body.payloads![0]!.metadata.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(unb64(encoded.body.payloads![0]!.metadata[ENCRYPTION_KEY_ID])).toBe('test-a');
      expect(unb64(encoded.body.payloads![0]!.data)).not.toContain('world');
      const decoded = await codecCall(gw.url, 'decode', { payloads: [...encoded.body.payloads!, original] }, { token: ADMIN_TOKEN });
      expect(decoded.body.payloads).toEqual([original, original]);
    });

    it('lets a browser sign in with the admin token and decode with the session cookie alone', async () => {
      const form = await fetch(`${gw.url}/codec/session`);
      expect(form.status).toBe(200);
      expect(await form.text()).toContain('name="token"');
      expect(form.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

      const post = (token: string) =>
        fetch(`${gw.url}/codec/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token }),
          redirect: 'manual',
        });
      const wrong = await post('not-the-admin-token');
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      const signedIn = await post(ADMIN_TOKEN);
      expect(signedIn.status).toBe(200);
      const setCookie = signedIn.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^switchyard_codec=\d+\.[\w-]{43}; Max-Age=28800; Path=\/codec; Expires=.*; HttpOnly; SameSite=Strict$/);
      expect(setCookie).not.toContain(ADMIN_TOKEN);
      const cookie = setCookie.split(';')[0]!;

      const decode = (headers: Record<string, string>) =>
        fetch(`${gw.url}/codec/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
          body: JSON.stringify({ payloads: toJson(chat.history) }),
        });
      const withCookie = await decode({ cookie, origin: UI_ORIGIN });
      expect(withCookie.status).toBe(200);
      expect(withCookie.headers.get('access-control-allow-credentials')).toBe('true');
      const { payloads } = (await withCookie.json()) as { payloads: JsonPayload[] };
      expect(payloads.map((p) => unb64(p.data)).join('\n')).toContain(chat.prompt);
      expect((await decode({ cookie: `${cookie.slice(0, -2)}xx`, origin: UI_ORIGIN })).status).toBe(401);
      expect((await decode({ cookie, origin: 'http://evil.example' })).status).toBe(403);
    });

    it('serves the Temporal CLI (`temporal workflow show --codec-endpoint --codec-auth`)', async () => {
      const cli = process.env.TEMPORAL_CLI_PATH;
      if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: the integration global setup should have located the CLI');
      // Asynchronously: the CLI calls back into this process's gateway.
      const show = async (codecArgs: string[]): Promise<string> =>
        (
          await execFileAsync(
            cli,
            ['workflow', 'show', '--address', process.env.TEMPORAL_ADDRESS!, '--workflow-id', chat.workflowId, '--output', 'json', ...codecArgs],
            {
              timeout: 30_000,
            },
          )
        ).stdout;
      expect(payloadTexts(JSON.parse(await show([])))).not.toContain(chat.prompt);
      const decoded = payloadTexts(JSON.parse(await show(['--codec-endpoint', `${gw.url}/codec`, '--codec-auth', `Bearer ${ADMIN_TOKEN}`])));
      expect(decoded).toContain(chat.prompt);
      expect(decoded).toContain(chat.completion);
    });

    it('answers bad input and undecryptable payloads with OpenAI-style 400s', async () => {
      const notJson = await fetch(`${gw.url}/codec/decode`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: '{' });
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
      const wrongShape = await codecCall(gw.url, 'decode', { payloads: [{ data: 'not base64!' }] }, { token: ADMIN_TOKEN });
      expect(wrongShape.status).toBe(400);
      expect(wrongShape.body.error).toMatchObject({ code: 'invalid_value', param: 'payloads[0].data' });
      expect((await codecCall(gw.url, 'decode', { nothing: true }, { token: ADMIN_TOKEN })).body.error?.code).toBe('missing_required_parameter');

      const [foreign] = await new HistoryEncryptionCodec(historyKeyring([testHistoryKey('retired-z')])).encode([{ metadata: {}, data: Buffer.from('x') }]);
      const unknown = await codecCall(
        gw.url,
        'decode',
        {
          payloads: [
            { metadata: { encoding: b64(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID]: b64('retired-z') }, data: Buffer.from(foreign!.data!).toString('base64') },
          ],
        },
        { token: ADMIN_TOKEN },
      );
      expect(unknown.status).toBe(400);
      expect(unknown.body.error?.code).toBe('unknown_history_key');
      expect(unknown.body.error?.message).toContain('"retired-z"');
    });
  });

  it('writes no prompt, completion, tool description, input or key to the gateway logs (pino and the Temporal SDK)', () => {
    // The capture works: the SDK logged the failing request's activity failure while it ran.
    expect(sdkLog.some((line) => line.includes(failure.workflowId))).toBe(true);
    const all = [...gatewayLog, ...sdkLog].join('\n');
    for (const secret of secrets) expect(all.includes(secret)).toBe(false);
  });

  it('rotation: a gateway on [B, A] reads what A wrote, writes under B, and serves both through the codec endpoint', async () => {
    await gw.stop();
    stopped = true;
    const keyB = testHistoryKey('test-b');
    const rotated = await startTestGateway({ historyKeyring: historyKeyring([keyB, ...TEST_HISTORY_KEYRING.byId.values()]) });
    try {
      const prompt = uniqueText('after rotation');
      const { requestId } = await requestIdOf(rotated.openai.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }] }));
      const fresh = await readRawHistory(rotated.gateway.client, chatWorkflowId(requestId));
      const keyIds = new Set(userPayloads(fresh).map(({ payload }) => Buffer.from(payload.metadata![ENCRYPTION_KEY_ID]!).toString()));
      expect([...keyIds]).toEqual(['test-b']);
      expect(fresh.bytes.includes(Buffer.from(prompt))).toBe(false);

      const res = await codecCall(rotated.url, 'decode', { payloads: [...toJson(chat.history), ...toJson(fresh)] }, { token: ADMIN_TOKEN, origin: UI_ORIGIN });
      expect(res.status).toBe(200);
      const texts = res.body.payloads!.map((p) => unb64(p.data)).join('\n');
      expect(texts).toContain(chat.prompt);
      expect(texts).toContain(prompt);
      // A's failed workflow still reads through the rotated gateway's client (failure decrypted with A).
      const outcome: unknown = await rotated.gateway.client.workflow
        .getHandle(failure.workflowId)
        .result()
        .then(
          () => 'completed',
          (err: unknown) => err,
        );
      expect(outcome).toBeInstanceOf(WorkflowFailedError);
      expect((outcome as WorkflowFailedError).cause?.message).toContain('maximum context length');
    } finally {
      await rotated.stop();
    }
  });
});
