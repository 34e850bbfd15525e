import OpenAI from 'openai';
import { newAccount, type TestAccount } from '../support/accounts';
import { chatLine, jsonl, readResultFile, uploadBatchFile, waitForBatch } from '../support/batches';
import { startTestGateway, uniqueText, type TestGateway } from '../support/test-gateway';

/**
 * The OpenAI Batch API through the official client, end to end: real Temporal (batch workflow
 * on its own queue), real Postgres, the fake upstream speaking OpenAI, Anthropic and Bedrock.
 */
describe('files and batches', () => {
  let gw: TestGateway;
  let account: TestAccount;
  beforeAll(async () => {
    gw = await startTestGateway({
      // A request body limit below the file limit, so one line can exceed it.
      configOverrides: { batch: { page_size: 3, concurrency: 4 }, limits: { max_body_bytes: 4 * 1024, max_file_bytes: 20_000 } },
    });
    account = await newAccount(gw.gateway.pool, gw.url);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('runs a mixed-provider chat batch and writes output and error files in OpenAI format', async () => {
    const brokenText = uniqueText('batch always fails', '#fault=500');
    const lines = [
      chatLine('gpt-1', 'gpt-test', uniqueText('batch openai one')),
      chatLine('claude-1', 'claude-test', uniqueText('batch anthropic')),
      chatLine('bedrock-1', 'bedrock-test', uniqueText('batch bedrock')),
      chatLine('broken', 'gpt-test', brokenText),
      chatLine('gpt-2', 'gpt-test', uniqueText('batch openai two')),
      chatLine('fallback', 'badkey-then-claude', uniqueText('batch fallback')),
      chatLine('gpt-3', 'gpt-test', uniqueText('batch openai three')),
    ];
    const file = await uploadBatchFile(account.openai, jsonl(lines));
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', status: 'processed', filename: 'input.jsonl' });
    expect(file.bytes).toBe(Buffer.byteLength(jsonl(lines)));
    expect(await account.openai.files.retrieve(file.id)).toMatchObject({ id: file.id, bytes: file.bytes });
    expect(await (await account.openai.files.content(file.id)).text()).toBe(jsonl(lines));

    const created = await account.openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'e2e' },
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, metadata: { job: 'e2e' } });
    expect(created.request_counts).toEqual({ total: 7, completed: 0, failed: 0 });

    const done = await waitForBatch(account.openai, created.id);
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: 7, completed: 6, failed: 1 });
    for (const field of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) expect(done[field]).toEqual(expect.any(Number));

    const output = await readResultFile(account.openai, done.output_file_id);
    const errors = await readResultFile(account.openai, done.error_file_id);
    // In input order, each custom_id once.
    expect(output.map((l) => l.custom_id)).toEqual(['gpt-1', 'claude-1', 'bedrock-1', 'gpt-2', 'fallback', 'gpt-3']);
    expect(errors.map((l) => l.custom_id)).toEqual(['broken']);
    const byId = new Map(output.map((l) => [l.custom_id, l]));
    for (const l of output) {
      expect(l).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.any(String) } });
      expect(l.response!.body).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant' } }] });
    }
    expect(JSON.stringify(byId.get('claude-1')!.response!.body)).toContain('fake anthropic');
    expect(JSON.stringify(byId.get('bedrock-1')!.response!.body)).toContain('fake bedrock');
    expect(JSON.stringify(byId.get('fallback')!.response!.body)).toContain('fake anthropic');
    expect(errors[0]).toMatchObject({ error: null, response: { status_code: 502, body: { error: { code: 'upstream_error', type: 'api_error' } } } });
    // The failing item went through the retry policy: 3 attempts.
    expect(gw.fake.countFor(brokenText)).toBe(3);

    // One usage record per answered item, charged under the batch's reservation ids.
    const { rows } = await gw.gateway.pool.query<{ n: string }>(`SELECT count(*) AS n FROM usage_records WHERE reservation_id LIKE $1`, [`batch-${done.id}-%`]);
    expect(Number(rows[0]!.n)).toBe(6);

    // Output files are files of the tenant too.
    expect(await account.openai.files.retrieve(done.output_file_id!)).toMatchObject({ purpose: 'batch_output', object: 'file' });
  }, 60_000);

  it('runs an embeddings batch', async () => {
    const lines = [1, 2, 3, 4].map((n) => ({ custom_id: `e${n}`, method: 'POST', url: '/v1/embeddings', body: { model: 'embed-test', input: `text ${n}` } }));
    const file = await uploadBatchFile(account.openai, jsonl(lines));
    const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
    const done = await waitForBatch(account.openai, batch.id);
    expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    const output = await readResultFile(account.openai, done.output_file_id);
    expect(output.map((l) => l.custom_id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(output[0]!.response!.body).toMatchObject({ object: 'list', data: [{ object: 'embedding' }] });
    expect(done.error_file_id).toBeNull();
  }, 60_000);

  describe('upload validation', () => {
    async function uploadError(text: string): Promise<{ status: number; error: { message: string; code: string; param: string } }> {
      try {
        await uploadBatchFile(account.openai, text);
      } catch (err) {
        if (err instanceof OpenAI.APIError) return { status: err.status!, error: err.error as { message: string; code: string; param: string } };
        throw err;
      }
      throw new Error('the upload was accepted');
    }
    const good = chatLine('a', 'gpt-test', 'hi');
    const overLimit = chatLine('big', 'gpt-test', 'x'.repeat(4 * 1024));

    it.each([
      ['invalid JSON', `${JSON.stringify(good)}\n{"custom_id": "b",\n`, 'Line 2: the line is not valid JSON.'],
      [
        'a duplicate custom_id',
        jsonl([good, chatLine('b', 'gpt-test', 'x'), chatLine('a', 'gpt-test', 'y')]),
        "Line 3: custom_id 'a' is already used on line 1.",
      ],
      ['a GET', jsonl([good, { ...chatLine('b', 'gpt-test', 'x'), method: 'GET' }]), 'Line 2: \'method\' must be "POST".'],
      ['an unknown url', jsonl([{ ...good, url: '/v1/completions' }]), "Line 1: 'url' must be one of /v1/chat/completions, /v1/embeddings."],
      [
        'a missing custom_id',
        jsonl([good, { method: 'POST', url: '/v1/chat/completions', body: good.body }]),
        "Line 2: 'custom_id' must be a non-empty string.",
      ],
      [
        'a body without messages',
        jsonl([good, good, { ...chatLine('c', 'gpt-test', 'x'), body: { model: 'gpt-test' } }]).replace(/"a"/, '"a0"'),
        'Line 3: body: Missing required parameter',
      ],
      ['an unknown model', jsonl([chatLine('a', 'no-such-model', 'x')]), 'Line 1: body.model: the model `no-such-model` does not exist.'],
      ['a streaming body', jsonl([{ ...good, body: { ...good.body, stream: true } }]), 'Line 1: body.stream: streaming is not available in a batch.'],
      [
        'stream_options without stream',
        jsonl([{ ...good, body: { ...good.body, stream_options: { include_usage: true } } }]),
        "Line 1: body: Invalid value for 'stream_options': the parameter is only allowed when 'stream' is enabled.",
      ],
      [
        'a line over limits.max_body_bytes',
        jsonl([good, overLimit]),
        `Line 2: the line is ${JSON.stringify(overLimit).length} bytes; a request may be at most 4096 bytes (limits.max_body_bytes).`,
      ],
      [
        'a byte order mark after the start of the file',
        `${JSON.stringify(good)}\n\uFEFF${JSON.stringify(chatLine('b', 'gpt-test', 'x'))}\n`,
        'Line 2: the line is not valid JSON.',
      ],
      ['no lines', '\n\n', 'The file contains no requests.'],
    ])('refuses a file with %s (400, line number)', async (_name, text, message) => {
      const { status, error } = await uploadError(text);
      expect(status).toBe(400);
      expect(error.message).toContain(message);
      expect(error.param).toBe('file');
    });

    it('accepts a file that starts with a UTF-8 byte order mark, and runs its first line', async () => {
      const lines = [chatLine('bom-1', 'gpt-test', uniqueText('bom one')), chatLine('bom-2', 'gpt-test', uniqueText('bom two'))];
      const file = await uploadBatchFile(account.openai, `\uFEFF${jsonl(lines)}`);
      expect(file).toMatchObject({ status: 'processed', bytes: Buffer.byteLength(`\uFEFF${jsonl(lines)}`) });
      // Stored without the mark: the line is the JSON the batch runs.
      expect(await (await account.openai.files.content(file.id)).text()).toBe(jsonl(lines));
      const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      const done = await waitForBatch(account.openai, batch.id);
      expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
      expect((await readResultFile(account.openai, done.output_file_id)).map((l) => l.custom_id)).toEqual(['bom-1', 'bom-2']);
    }, 30_000);

    it('refuses a file over limits.max_file_bytes with 413 and keeps nothing', async () => {
      const big = jsonl(Array.from({ length: 300 }, (_, i) => chatLine(`big-${i}`, 'gpt-test', 'some text to make the file larger than the limit')));
      const { status, error } = await uploadError(big);
      expect(status).toBe(413);
      expect(error.code).toBe('file_too_large');
      const { rows } = await gw.gateway.pool.query(`SELECT id FROM files WHERE tenant_id = $1 AND status = 'uploading'`, [account.tenantId]);
      expect(rows).toEqual([]);
    });

    it('refuses a purpose other than batch, and a non-multipart body', async () => {
      const form = new FormData();
      form.append('purpose', 'fine-tune');
      form.append('file', new Blob([jsonl([good])]), 'x.jsonl');
      const wrong = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${account.key}` }, body: form });
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { error: { param: string } }).error.param).toBe('purpose');
      const json = await fetch(`${gw.url}/v1/files`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(400);
    });

    it('fails a batch whose lines call another endpoint, naming the line', async () => {
      const file = await uploadBatchFile(
        account.openai,
        jsonl([good, { custom_id: 'e', method: 'POST', url: '/v1/embeddings', body: { model: 'embed-test', input: 'x' } }]),
      );
      const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
      expect(batch.status).toBe('failed');
      expect(batch.errors?.data?.[0]).toMatchObject({ code: 'invalid_url', line: 2 });
    });

    it('refuses bad batch parameters with OpenAI errors', async () => {
      const file = await uploadBatchFile(account.openai, jsonl([good]));
      await expect(
        account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '48h' as '24h' }),
      ).rejects.toMatchObject({
        status: 400,
        error: { param: 'completion_window' },
      });
      await expect(
        account.openai.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h' }),
      ).rejects.toMatchObject({
        status: 404,
      });
    });
  });

  it('keeps files and batches to their tenant', async () => {
    const file = await uploadBatchFile(account.openai, jsonl([chatLine('t', 'gpt-test', uniqueText('tenant'))]));
    const batch = await account.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    const other = await newAccount(gw.gateway.pool, gw.url);
    await expect(other.openai.files.retrieve(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.openai.files.content(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.openai.files.delete(file.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.openai.batches.retrieve(batch.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.openai.batches.cancel(batch.id)).rejects.toMatchObject({ status: 404 });
    await expect(other.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await other.openai.files.list()).data).toEqual([]);
    expect((await other.openai.batches.list()).data).toEqual([]);
    await waitForBatch(account.openai, batch.id);
  }, 30_000);

  it('pages through files and batches, and deletes files', async () => {
    const own = await newAccount(gw.gateway.pool, gw.url);
    const ids: string[] = [];
    const batchIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const file = await uploadBatchFile(own.openai, jsonl([chatLine(`p${i}`, 'gpt-test', uniqueText('page'))]), `f${i}.jsonl`);
      ids.push(file.id);
      batchIds.push((await own.openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).id);
    }
    const seenBatches: string[] = [];
    for await (const b of own.openai.batches.list({ limit: 1 })) seenBatches.push(b.id);
    expect(seenBatches).toEqual([...batchIds].reverse());
    const firstPage = await own.openai.batches.list({ limit: 2 });
    expect(firstPage.data.map((b) => b.id)).toEqual([batchIds[2], batchIds[1]]);
    expect(firstPage.hasNextPage()).toBe(true);

    const files = await own.openai.files.list({ limit: 2, purpose: 'batch' });
    expect(files.data.map((f) => f.id)).toEqual([ids[2], ids[1]]);
    const rest = await files.getNextPage();
    expect(rest.data.map((f) => f.id)).toEqual([ids[0]]);
    expect(rest.hasNextPage()).toBe(false);

    for (const id of batchIds) await waitForBatch(own.openai, id);
    expect(await own.openai.files.delete(ids[0]!)).toEqual({ id: ids[0], object: 'file', deleted: true });
    await expect(own.openai.files.retrieve(ids[0]!)).rejects.toMatchObject({ status: 404 });
    expect((await own.openai.files.list({ purpose: 'batch' })).data.map((f) => f.id)).toEqual([ids[2], ids[1]]);
  }, 60_000);
});
