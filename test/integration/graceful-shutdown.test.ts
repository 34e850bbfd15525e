import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'pg';
import { createBudget } from '../../db/ledger';
import { migrate } from '../../db/migrate';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { announcement, spawnProcessScript } from '../support/process-script';
import { expectLedgerBalanced, newAccount } from '../support/accounts';
import { uniqueText, workflowBundle } from '../support/test-gateway';

const DRAIN_SECONDS = 3;

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly reusedSocket: boolean;
}

/** One request over node:http (a reset surfaces as an error, not a retry). */
function request(url: string, opts: { method?: string; key?: string; body?: unknown; agent?: http.Agent | false; onFirstByte?: () => void }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: opts.method ?? 'POST',
        agent: opts.agent ?? false,
        headers: { 'content-type': 'application/json', ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body === '') opts.onFirstByte?.();
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, reusedSocket: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

/**
 * Resolves with the connect error's code once a fresh connection is refused (bounded). A probe
 * that lands in the listener's backlog just as it closes is reset rather than refused: that one
 * is tried again, like one that connected.
 */
async function refusedWithin(port: number, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const code = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    if ((code !== 'connected' && code !== 'ECONNRESET') || Date.now() > deadline) return code;
    await delay(20);
  }
}

/**
 * SIGTERM on a gateway process with sync requests and streams in flight: every request accepted
 * before it gets its whole answer, new connections are refused, an idle keep-alive connection's
 * next answer says `Connection: close` (and /readyz 503), a stream still running at the drain
 * deadline ends with an error event and is charged for what it streamed, and the process exits
 * 0 within the drain time.
 */
describe('graceful shutdown', () => {
  let fake: FakeUpstream;
  let pool: Pool;
  let child: ChildProcess | undefined;
  let bundleDir: string;
  const tenants: string[] = [];

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'AKIDFAKE';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'fake-secret';
    fake = await startFakeUpstream();
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    await migrate(pool);
    bundleDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bundle-'));
    writeFileSync(path.join(bundleDir, 'workflows.js'), (await workflowBundle()).code);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await expectLedgerBalanced(pool, tenants);
    await pool.end();
    await fake.close();
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it('drains in-flight requests and streams on SIGTERM, then exits 0', async () => {
    const budgeted = await newAccount(pool, 'http://unused');
    tenants.push(budgeted.tenantId);
    await createBudget(pool, { scope: 'key', scopeId: budgeted.keyId, period: 'total', limitUsd: '10' });
    const unbudgeted = await newAccount(pool, 'http://unused');

    child = spawnProcessScript('draining-gateway.ts', {
      FAKE_URL: fake.url,
      DRAIN_SECONDS: String(DRAIN_SECONDS),
      WORKFLOW_BUNDLE: path.join(bundleDir, 'workflows.js'),
    });
    const proc = child;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const url = (await announcement(proc, 'draining-gateway.ts', (line) => line.startsWith('url '))).slice('url '.length);
    const port = Number(new URL(url).port);

    // An idle keep-alive connection, opened before the signal.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await request(`${url}/healthz`, { method: 'GET', agent: keepAlive })).status).toBe(200);

    const chat = (key: string, text: string, stream = false) => ({
      key,
      body: { model: 'gpt-test', stream, messages: [{ role: 'user', content: text }] },
    });
    const syncTexts = [uniqueText('drain sync a', '#delay=1500'), uniqueText('drain sync b', '#delay=1500')];
    const streamTexts = [uniqueText('drain stream a', '#gap=100'), uniqueText('drain stream b', '#gap=100')];
    const stallText = uniqueText('drain stall', '#fault=stall');
    const tooSlowText = uniqueText('drain too slow', '#delay=5500');

    const firstBytes: Array<Promise<void>> = [];
    const streamRequest = (key: string, text: string): Promise<Answer> => {
      let started!: () => void;
      firstBytes.push(new Promise<void>((resolve) => (started = resolve)));
      return request(`${url}/v1/chat/completions`, { ...chat(key, text, true), onFirstByte: () => started() });
    };
    const syncs = syncTexts.map((t) => request(`${url}/v1/chat/completions`, chat(budgeted.key, t)));
    const streams = streamTexts.map((t) => streamRequest(budgeted.key, t));
    const stall = streamRequest(budgeted.key, stallText);
    const tooSlow = request(`${url}/v1/chat/completions`, chat(unbudgeted.key, tooSlowText));
    let syncsDone = false;
    void Promise.allSettled(syncs).then(() => (syncsDone = true));

    // Everything is in flight: streams have sent bytes, sync requests reached the upstream.
    await Promise.all(firstBytes);
    for (const text of [...syncTexts, tooSlowText]) {
      for (let i = 0; fake.countFor(text) === 0; i++) {
        if (i > 200) throw new Error('a sync request never reached the upstream');
        await delay(10);
      }
    }
    const signalledAt = Date.now();
    proc.kill('SIGTERM');

    // No new connections, while requests accepted before are still running.
    expect(await refusedWithin(port, 2_000)).toBe('ECONNREFUSED');
    expect(syncsDone).toBe(false);
    // The idle keep-alive connection is not reset: its next answer closes it, and says "draining".
    const ready = await request(`${url}/readyz`, { method: 'GET', agent: keepAlive });
    expect(ready.reusedSocket).toBe(true);
    expect(ready.status).toBe(503);
    expect(ready.headers.connection).toBe('close');
    expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });

    // Every request accepted before the signal gets its whole answer.
    for (const answer of await Promise.all(syncs)) {
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ object: 'chat.completion', choices: [{ finish_reason: 'stop' }] });
    }
    for (const answer of await Promise.all(streams)) {
      expect(answer.status).toBe(200);
      expect(answer.body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    // The stream still running at the deadline ends with a final error event, not a reset.
    const stalled = await stall;
    expect(stalled.status).toBe(200);
    expect(stalled.body).not.toContain('[DONE]');
    const events = stalled.body.trim().split('\n\n');
    expect(JSON.parse(events.at(-1)!.replace(/^data: /, ''))).toMatchObject({ error: { code: 'server_shutting_down', type: 'api_error' } });
    // A request still waiting on its workflow at the deadline gets a 503 it can retry.
    const slow = await tooSlow;
    expect(slow.status).toBe(503);
    expect(JSON.parse(slow.body)).toMatchObject({ error: { code: 'server_shutting_down' } });

    const exit = await exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    // Drain time, plus the worker finishing its last activity (the 5.5 s upstream call).
    expect(exit.at - signalledAt).toBeLessThan(DRAIN_SECONDS * 1000 + 6_000);

    // The stalled stream's hold was settled from what it streamed, recorded as a shutdown.
    const { rows } = await pool.query<{ status: string; output_tokens: number; state: string }>(
      `SELECT u.status, u.output_tokens, r.state FROM usage_records u JOIN reservations r ON r.id = 'stream-' || u.request_id
       WHERE u.key_id = $1 AND u.status <> 'ok'`,
      [budgeted.keyId],
    );
    expect(rows).toEqual([{ status: 'shutdown', output_tokens: expect.any(Number), state: 'settled' }]);
    expect(rows[0]!.output_tokens).toBeGreaterThan(0);
    keepAlive.destroy();
  }, 60_000);
});
