import Anthropic from '@anthropic-ai/sdk';
import type {
  CallContext,
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  ProviderAdapter,
  ProviderSettings,
} from '../types';
import { createNodeHttpFetch } from '../node-http-fetch';
import { ResponseDeadline, sdkBackstopTimeoutMs } from '../response-deadline';
import { badResponse, throwIfAborted, toThrowable, truncatedStream, unsupportedFeature } from '../upstream-failures';
import { classifyAnthropicError } from './error-map';
import { toAnthropicRequest } from './request-map';
import { fromAnthropicMessage } from './response-map';
import { AnthropicStreamMapper, type AnthropicStreamEvent } from './stream-map';

/**
 * Adapter for `anthropic` providers: OpenAI chat requests through the Messages API
 * (`@anthropic-ai/sdk`), streaming via raw `messages.create({ stream: true })` events.
 * Embeddings are not offered by Anthropic.
 */
export class AnthropicAdapter implements ProviderAdapter {
  readonly settings: ProviderSettings;
  private readonly client: Anthropic;

  /** @param client injectable for tests; built from `settings` by default (SDK retries off). */
  constructor(settings: ProviderSettings, client?: Anthropic) {
    this.settings = settings;
    // logLevel 'off' (which also beats ANTHROPIC_LOG): the SDK's debug logs carry request bodies
    // and its error logs quote raw upstream payloads.
    this.client =
      client ??
      new Anthropic({
        apiKey: settings.apiKey,
        baseURL: settings.baseURL,
        timeout: sdkBackstopTimeoutMs(settings.timeoutMs),
        maxRetries: 0,
        logLevel: 'off',
        // Same transport as the openai client: node:http costs a fraction of undici's fetch.
        fetch: createNodeHttpFetch({ connectTimeoutMs: settings.connectTimeoutMs }),
      });
  }

  async chat(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
    const deadline = new ResponseDeadline(ctx.firstByteTimeoutMs ?? this.settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
    try {
      const params = toAnthropicRequest(req, { model: ctx.upstreamModel, provider: this.settings.id });
      const message: unknown = await this.client.messages.create({ ...params, stream: false }, { signal: deadline.signal });
      deadline.finish();
      if (!isMessage(message)) throw badResponse(this.settings.id, 'the upstream answered with a body that is not a message');
      return fromAnthropicMessage(message);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    const deadline = new ResponseDeadline(ctx.firstByteTimeoutMs ?? this.settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
    try {
      const params = toAnthropicRequest(req, { model: ctx.upstreamModel, provider: this.settings.id });
      const stream = await this.client.messages.create({ ...params, stream: true }, { signal: deadline.signal });
      deadline.met();
      const mapper = new AnthropicStreamMapper(this.settings.id, ctx.upstreamModel);
      const events: AsyncIterable<AnthropicStreamEvent> = stream;
      for await (const event of events) {
        for (const chunk of mapper.push(event)) yield chunk;
      }
      // The SDK's iterator ends quietly when aborted; the caller must still see the abort.
      throwIfAborted(ctx.signal);
      if (!mapper.done) throw truncatedStream(this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    } finally {
      deadline.finish();
    }
  }

  async embed(_req: EmbeddingRequest, _ctx: CallContext): Promise<EmbeddingResponse> {
    throw unsupportedFeature(this.settings.id, 'model', 'Anthropic does not offer an embeddings API');
  }

  private toThrowable(err: unknown, ctx: CallContext, deadline: ResponseDeadline): unknown {
    return deadline.timeoutError(ctx.signal, this.settings.id) ?? toThrowable(err, ctx.signal, (e) => classifyAnthropicError(e, this.settings.id));
  }
}

/** The SDK hands back a non-JSON 2xx body as a string; only a real `Message` may be mapped. */
function isMessage(value: unknown): value is Anthropic.Message {
  return typeof value === 'object' && value !== null && Array.isArray((value as { content?: unknown }).content);
}
