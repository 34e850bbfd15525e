import type OpenAI from 'openai';
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
import { ResponseDeadline } from '../response-deadline';
import { throwIfAborted, toThrowable, truncatedStream } from '../upstream-failures';
import { buildOpenAIClient } from './client';
import { classifyOpenAIError } from './error-map';
import { toOpenAIChatParams, toOpenAIEmbeddingParams, toOpenAIStreamParams } from './request-map';
import { checkChatCompletion, checkEmbeddingResponse } from './response-map';

/**
 * Adapter for `openai` and `azure` providers (and any OpenAI-compatible server reached through
 * `baseURL`). Requests and responses are already in the gateway's shape, so this adapter only
 * swaps the model, forces usage on streams, checks response shapes and classifies errors.
 */
export class OpenAIAdapter implements ProviderAdapter {
  readonly settings: ProviderSettings;
  private readonly client: OpenAI;

  /** @param client injectable for tests; built from `settings` by default. */
  constructor(settings: ProviderSettings, client: OpenAI = buildOpenAIClient(settings)) {
    this.settings = settings;
    this.client = client;
  }

  async chat(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
    const deadline = new ResponseDeadline(this.settings.timeoutMs, ctx.signal);
    try {
      const res: unknown = await this.client.chat.completions.create(toOpenAIChatParams(req, ctx.upstreamModel), requestOptions(ctx, deadline));
      deadline.met();
      return checkChatCompletion(res, this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    const deadline = new ResponseDeadline(this.settings.timeoutMs, ctx.signal);
    try {
      const stream = await this.client.chat.completions.create(toOpenAIStreamParams(req, ctx.upstreamModel), requestOptions(ctx, deadline));
      deadline.met();
      let finished = false;
      for await (const chunk of stream) {
        if (chunk.choices?.some((choice) => choice.finish_reason != null)) finished = true;
        yield chunk;
      }
      // The SDK's iterator ends quietly when aborted; the caller must still see the abort.
      throwIfAborted(ctx.signal);
      if (!finished) throw truncatedStream(this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  async embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const deadline = new ResponseDeadline(this.settings.timeoutMs, ctx.signal);
    try {
      const res: unknown = await this.client.embeddings.create(toOpenAIEmbeddingParams(req, ctx.upstreamModel), requestOptions(ctx, deadline));
      deadline.met();
      return checkEmbeddingResponse(res, this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  private toThrowable(err: unknown, ctx: CallContext, deadline: ResponseDeadline): unknown {
    return deadline.timeoutError(ctx.signal, this.settings.id) ?? toThrowable(err, ctx.signal, (e) => classifyOpenAIError(e, this.settings.id));
  }
}

/** The deadline's signal on every call; the gateway request id as OpenAI's client request id header. */
function requestOptions(ctx: CallContext, deadline: ResponseDeadline): { signal: AbortSignal; headers?: Record<string, string> } {
  return {
    signal: deadline.signal,
    headers: ctx.requestId ? { 'X-Client-Request-Id': ctx.requestId } : undefined,
  };
}
