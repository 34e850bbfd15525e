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
import { badResponse, throwIfAborted, toThrowable, truncatedStream } from '../upstream-failures';
import { buildOpenAIClient } from './client';
import { classifyOpenAIError } from './error-map';
import { toOpenAIChatParams, toOpenAIEmbeddingParams, toOpenAIStreamParams } from './request-map';
import { checkChatCompletion, checkEmbeddingResponse } from './response-map';
import { OpenAIStreamDecoder } from './stream-map';

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
    const deadline = new ResponseDeadline(ctx.firstByteTimeoutMs ?? this.settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
    try {
      const res: unknown = await this.client.chat.completions.create(toOpenAIChatParams(req, ctx.upstreamModel), requestOptions(ctx, deadline));
      deadline.finish();
      return checkChatCompletion(res, this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    const deadline = new ResponseDeadline(ctx.firstByteTimeoutMs ?? this.settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
    try {
      // The SDK builds, authenticates and sends the request and throws its APIError for a non-2xx
      // answer; the body is decoded here, much cheaper than by the SDK's Stream (see stream-map.ts).
      const params = toOpenAIStreamParams(req, ctx.upstreamModel);
      const response = await this.client.chat.completions.create(params, requestOptions(ctx, deadline)).asResponse();
      deadline.met();
      if (!response.body) throw badResponse(this.settings.id, 'the upstream answered a stream request without a body');
      const decoder = new OpenAIStreamDecoder(response.headers);
      const reader = response.body.getReader();
      let finished = false;
      let ended = false;
      try {
        for (;;) {
          const read = await reader.read();
          if (read.done) {
            ended = true;
            break;
          }
          for (const chunk of decoder.decode(read.value)) {
            if (chunk.choices?.some((choice) => choice.finish_reason != null)) finished = true;
            yield chunk;
          }
        }
      } catch (err) {
        // An abort errors the body with the transport's AbortError; the caller must see its own reason.
        throwIfAborted(ctx.signal);
        throw err;
      } finally {
        // Left early (the consumer stopped, or the body was unusable): close the upstream exchange.
        if (!ended) reader.cancel().catch(ignore);
      }
      // An abort racing the body's clean end must still reach the caller as an abort.
      throwIfAborted(ctx.signal);
      if (!finished) throw truncatedStream(this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    } finally {
      deadline.finish();
    }
  }

  async embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const deadline = new ResponseDeadline(ctx.firstByteTimeoutMs ?? this.settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
    try {
      const res: unknown = await this.client.embeddings.create(toOpenAIEmbeddingParams(req, ctx.upstreamModel), requestOptions(ctx, deadline));
      deadline.finish();
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

function ignore(): void {}
