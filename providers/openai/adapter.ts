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
    try {
      const res: unknown = await this.client.chat.completions.create(toOpenAIChatParams(req, ctx.upstreamModel), requestOptions(ctx));
      return checkChatCompletion(res, this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx);
    }
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    try {
      const stream = await this.client.chat.completions.create(toOpenAIStreamParams(req, ctx.upstreamModel), requestOptions(ctx));
      let finished = false;
      for await (const chunk of stream) {
        if (chunk.choices?.some((choice) => choice.finish_reason != null)) finished = true;
        yield chunk;
      }
      // The SDK's iterator ends quietly when aborted; the caller must still see the abort.
      throwIfAborted(ctx.signal);
      if (!finished) throw truncatedStream(this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx);
    }
  }

  async embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    try {
      const res: unknown = await this.client.embeddings.create(toOpenAIEmbeddingParams(req, ctx.upstreamModel), requestOptions(ctx));
      return checkEmbeddingResponse(res, this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx);
    }
  }

  private toThrowable(err: unknown, ctx: CallContext): unknown {
    return toThrowable(err, ctx.signal, (e) => classifyOpenAIError(e, this.settings.id));
  }
}

/** Abort signal on every call; the gateway request id as OpenAI's client request id header. */
function requestOptions(ctx: CallContext): { signal?: AbortSignal; headers?: Record<string, string> } {
  return {
    signal: ctx.signal,
    headers: ctx.requestId ? { 'X-Client-Request-Id': ctx.requestId } : undefined,
  };
}
