import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { startFakeUpstream } from '../../fakes';
import type { FakeUpstream } from '../../fakes';

let up: FakeUpstream;
beforeAll(async () => { up = await startFakeUpstream(); });
afterAll(async () => { await up.close(); });

function show(label: string, e: unknown): void {
  const o = e as Record<string, unknown>;
  console.log(label, Object.prototype.toString.call(e), (e as Error).constructor?.name, (e as Error).name, (e as Error).message, JSON.stringify({ status: o.status, type: o.type, code: o.code, meta: o.$metadata, fault: o.$fault, retryable: o.$retryable }), (o.headers as Headers | undefined)?.get?.('retry-after'), JSON.stringify((o.$response as { headers?: unknown } | undefined)?.headers));
}

test('scratch', async () => {
  const oa = new OpenAI({ apiKey: 'k', baseURL: `${up.url}/v1`, maxRetries: 0 });
  const r = await oa.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi there' }] });
  console.log(JSON.stringify(r));
  for (const t of ['#fault=429x1 a', '#fault=500', '#fault=context', '#fault=malformed']) {
    try { await oa.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: t }] }); } catch (e) { show('openai ' + t, e); }
  }
  try {
    const s = await oa.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: '#fault=cut one two three four' }] });
    for await (const c of s) console.log('cut chunk', JSON.stringify(c.choices[0]?.delta));
  } catch (e) { show('openai cut', e); }
  try {
    const s = await oa.chat.completions.create({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: '#fault=malformed' }] });
    for await (const c of s) console.log('mal chunk', JSON.stringify(c.choices[0]?.delta));
  } catch (e) { show('openai malformed stream', e); }
  try { await oa.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: '#fault=hang' }] }, { timeout: 300 }); } catch (e) { show('openai hang', e); }

  const an = new Anthropic({ apiKey: 'k', baseURL: up.url, maxRetries: 0 });
  for (const t of ['#fault=429x1 a', '#fault=500', '#fault=context', '#fault=malformed']) {
    try { await an.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: t }] }); } catch (e) { show('anth ' + t, e); }
  }
  try {
    const s = await an.messages.create({ model: 'claude', max_tokens: 10, stream: true, messages: [{ role: 'user', content: '#fault=cut one two three four' }] });
    for await (const c of s) console.log('anth cut ev', JSON.stringify(c));
  } catch (e) { show('anth cut', e); }

  const br = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: up.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  const mk = (t: string) => ({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user' as const, content: [{ text: t }] }] });
  console.log(JSON.stringify(await br.send(new ConverseCommand(mk('hello')))));
  for (const t of ['#fault=429x1 a', '#fault=500', '#fault=context', '#fault=malformed', '#fault=401']) {
    try { await br.send(new ConverseCommand(mk(t))); } catch (e) { show('br ' + t, e); }
  }
  const s = await br.send(new ConverseStreamCommand(mk('stream me please')));
  for await (const ev of s.stream ?? []) console.log('br ev', JSON.stringify(ev));
  try {
    const s2 = await br.send(new ConverseStreamCommand(mk('#fault=cut a b c d e')));
    for await (const ev of s2.stream ?? []) console.log('br cut ev', JSON.stringify(ev));
  } catch (e) { show('br cut', e); }
  try {
    const s2 = await br.send(new ConverseStreamCommand(mk('#fault=malformed')));
    for await (const ev of s2.stream ?? []) console.log('br mal ev', JSON.stringify(ev));
  } catch (e) { show('br mal', e); }
  const inv = await br.send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', contentType: 'application/json', body: JSON.stringify({ inputText: 'hello world' }) }));
  console.log(new TextDecoder().decode(inv.body));
  const bad = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: up.url, credentials: { accessKeyId: 'bad-key', secretAccessKey: 'y' }, maxAttempts: 1 });
  try { await bad.send(new ConverseCommand(mk('x'))); } catch (e) { show('br bad', e); }
  const hangc = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: up.url, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1, requestHandler: { requestTimeout: 300 } });
  try { await hangc.send(new ConverseCommand(mk('#fault=hang'))); } catch (e) { show('br hang', e); }
  console.log(JSON.stringify(up.requests.map((r) => [r.provider, r.path, r.model, r.stream, r.lastUserText])));
});
