import { startFakeUpstream, type FakeUpstream } from '../../fakes';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { createAdapter } from '../../../providers/create-adapter';
import type { ChatCompletionChunk, ChatRequest, ProviderAdapter, ProviderKind } from '../../../providers/types';

/**
 * Every adapter, built by `createAdapter`, against the shared fake upstream (test/fakes): the
 * real SDKs on the wire, the fake's fault directives on the other side.
 */

const TIMEOUT_MS = 400;
const MODELS: Record<ProviderKind, string> = {
  openai: 'gpt-4o',
  azure: 'dep-1',
  anthropic: 'claude-opus-5-5',
  bedrock: 'anthropic.claude-sonnet-4-5-v1:0',
};
const KINDS = Object.keys(MODELS) as ProviderKind[];

let fake: FakeUpstream;
const adapters = new Map<ProviderKind, ProviderAdapter>();
const savedEnv = { ...process.env };

beforeAll(async () => {
  fake = await startFakeUpstream();
  // Bedrock signs with the default credential chain; static env credentials keep it offline.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
  for (const kind of KINDS) {
    adapters.set(
      kind,
      createAdapter({
        id: `${kind}-fake`,
        kind,
        apiKey: kind === 'bedrock' ? undefined : 'test-key',
        apiVersion: kind === 'azure' ? '2024-10-21' : undefined,
        region: kind === 'bedrock' ? 'us-east-1' : undefined,
        baseURL: kind === 'openai' ? `${fake.url}/v1` : fake.url,
        timeoutMs: TIMEOUT_MS,
      }),
    );
  }
});

afterAll(async () => {
  process.env = savedEnv;
  await fake.close();
});

const tools: ChatRequest['tools'] = [
  { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

async function failureOf(run: () => Promise<unknown>): Promise<UpstreamError> {
  const outcome = await run().then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof UpstreamError)) throw new Error(`expected an UpstreamError, got ${String(outcome)}`);
  return outcome;
}

describe.each(KINDS)('%s adapter against the fake upstream', (kind) => {
  const adapter = (): ProviderAdapter => adapters.get(kind)!;
  const ctx = { upstreamModel: MODELS[kind] };
  const ask = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'alias', messages: [{ role: 'user', content: text }], ...extra });

  it('chat returns a tool call with finish_reason tool_calls', async () => {
    const completion = await adapter().chat(ask(`weather ${kind} #tool`, { tools }), ctx);
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.name : undefined).toBe('weather');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('chatStream assembles tool-call arguments and ends with one usage chunk', async () => {
    const chunks = await collect(adapter().chatStream(ask(`weather stream ${kind} #tool`, { tools }), ctx));
    const args = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls?.map((t) => t.function?.arguments ?? '') ?? [])).join('');
    expect(JSON.parse(args)).toEqual(expect.any(Object));
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage?.total_tokens).toBeGreaterThan(0);
  });

  it.each([
    ['#fault=429@2', FailureType.ProviderRateLimited, 2000],
    ['#fault=500', FailureType.ProviderServerError, undefined],
    ['#fault=401', FailureType.ProviderAuth, undefined],
    ['#fault=404', FailureType.ProviderNotFound, undefined],
    ['#fault=400', FailureType.ProviderBadRequest, undefined],
    ['#fault=context', FailureType.ProviderContextLength, undefined],
    ['#fault=malformed', FailureType.ProviderBadResponse, undefined],
    ['#fault=cut', FailureType.ProviderConnection, undefined],
  ])('%s → %s on chat and chatStream', async (directive, failureType, retryAfterMs) => {
    for (const run of [
      () => adapter().chat(ask(`sync ${kind} ${directive}`), ctx),
      () => collect(adapter().chatStream(ask(`stream ${kind} ${directive}`), ctx)),
    ]) {
      const failure = await failureOf(run);
      expect(failure.failureType).toBe(failureType);
      expect(failure.provider).toBe(`${kind}-fake`);
      expect(failure.retryAfterMs).toBe(retryAfterMs);
    }
  });

  it('a caller abort while the upstream is still thinking is rethrown as-is, on both paths', async () => {
    for (const run of [
      (signal: AbortSignal) => adapter().chat(ask(`abort sync ${kind} #delay=5000`), { ...ctx, signal }),
      (signal: AbortSignal) => collect(adapter().chatStream(ask(`abort stream ${kind} #delay=5000`), { ...ctx, signal })),
    ]) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('client went away')), 50);
      const outcome = await run(controller.signal).then(
        () => 'resolved',
        (err: unknown) => err,
      );
      expect(outcome).toBeInstanceOf(Error);
      expect(outcome).not.toBeInstanceOf(UpstreamError);
    }
  });

  // Under Jest, openai-node sees undici's abort DOMException from another realm and reports a
  // plain connection error; outside Jest it throws APIConnectionTimeoutError (→ ProviderTimeout).
  const hangType = kind === 'openai' || kind === 'azure' ? [FailureType.ProviderTimeout, FailureType.ProviderConnection] : [FailureType.ProviderTimeout];
  it('#fault=hang fails after the configured timeout', async () => {
    const failure = await failureOf(() => adapter().chat(ask(`hang ${kind} #fault=hang`), ctx));
    expect(hangType).toContain(failure.failureType);
  });
});
