import { randomUUID } from 'node:crypto';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  type BedrockRuntimeClientConfig,
} from '@aws-sdk/client-bedrock-runtime';
import { unixSeconds } from '../chunk-factory';
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
import { parseTitanBody, titanInputs, toEmbeddingResponse, toTitanBody, type TitanEmbedding } from './embed-map';
import { classifyBedrockError } from './error-map';
import { toConverseParams } from './request-map';
import { fromConverseResponse } from './response-map';
import { BedrockStreamMapper } from './stream-map';

/**
 * Adapter for `bedrock` providers: chat through the Converse / ConverseStream APIs, embeddings
 * through InvokeModel with Amazon Titan text embeddings. Credentials come from the default AWS
 * chain (env, profile, SSO, instance role, or AWS_BEARER_TOKEN_BEDROCK).
 */
export class BedrockAdapter implements ProviderAdapter {
  readonly settings: ProviderSettings;
  private readonly client: BedrockRuntimeClient;

  /** @param client injectable for tests; built from `settings` by default. */
  constructor(settings: ProviderSettings, client: BedrockRuntimeClient = new BedrockRuntimeClient(clientConfig(settings))) {
    this.settings = settings;
    this.client = client;
  }

  async chat(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
    const deadline = callDeadline(ctx, this.settings);
    try {
      const params = toConverseParams(req, { model: ctx.upstreamModel, provider: this.settings.id });
      const res = await this.client.send(new ConverseCommand(params), { abortSignal: deadline?.signal ?? ctx.signal });
      deadline?.finish();
      return fromConverseResponse(res, { id: completionId(res.$metadata.requestId), model: ctx.upstreamModel, provider: this.settings.id });
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
    // Our own controller closes the HTTP/2 stream when the consumer stops early; the caller's
    // signal still aborts it too.
    const local = new AbortController();
    const deadline = callDeadline(ctx, this.settings);
    const outer = deadline?.signal ?? ctx.signal;
    const signal = outer ? AbortSignal.any([outer, local.signal]) : local.signal;
    try {
      const params = toConverseParams(req, { model: ctx.upstreamModel, provider: this.settings.id });
      const res = await this.client.send(new ConverseStreamCommand(params), { abortSignal: signal });
      deadline?.met();
      if (!res.stream) throw badResponse(this.settings.id, 'the ConverseStream answer holds no event stream');
      const mapper = new BedrockStreamMapper(this.settings.id, {
        id: completionId(res.$metadata.requestId),
        model: ctx.upstreamModel,
        created: unixSeconds(),
      });
      for await (const event of res.stream) {
        for (const chunk of mapper.push(event)) yield chunk;
      }
      throwIfAborted(ctx.signal);
      if (!mapper.done) throw truncatedStream(this.settings.id);
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    } finally {
      deadline?.finish();
      local.abort();
    }
  }

  /** One InvokeModel call per input string, in order (Titan embeds one text per call). */
  async embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    const deadline = callDeadline(ctx, this.settings);
    try {
      const results: TitanEmbedding[] = [];
      for (const text of titanInputs(req, this.settings.id)) {
        const res = await this.client.send(
          new InvokeModelCommand({
            modelId: ctx.upstreamModel,
            contentType: 'application/json',
            accept: 'application/json',
            body: toTitanBody(text, req.dimensions),
          }),
          { abortSignal: deadline?.signal ?? ctx.signal },
        );
        results.push(parseTitanBody(res.body, this.settings.id));
      }
      deadline?.finish();
      return toEmbeddingResponse(results, { model: ctx.upstreamModel, encodingFormat: req.encoding_format });
    } catch (err) {
      throw this.toThrowable(err, ctx, deadline);
    }
  }

  private toThrowable(err: unknown, ctx: CallContext, deadline: ResponseDeadline | undefined): unknown {
    return deadline?.timeoutError(ctx.signal, this.settings.id) ?? toThrowable(err, ctx.signal, (e) => classifyBedrockError(e, this.settings.id));
  }
}

/**
 * A per-call deadline only when the call has its own bounds (a deployment's timeouts or the
 * client's deadline); otherwise the Smithy handler's `requestTimeout` is the bound, as before.
 */
function callDeadline(ctx: CallContext, settings: ProviderSettings): ResponseDeadline | undefined {
  if (ctx.firstByteTimeoutMs === undefined && ctx.totalTimeoutMs === undefined) return undefined;
  return new ResponseDeadline(ctx.firstByteTimeoutMs ?? settings.timeoutMs, ctx.signal, ctx.totalTimeoutMs);
}

/**
 * SDK retries off (`maxAttempts: 1`); `timeoutMs` as the HTTP/2 request timeout, which Smithy
 * applies as an inactivity timeout (so a stream that keeps sending events is not cut off).
 * `endpoint` only when `baseURL` is set: otherwise the SDK's default, or
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME, applies.
 */
function clientConfig(settings: ProviderSettings): BedrockRuntimeClientConfig {
  const config: BedrockRuntimeClientConfig = {
    region: settings.region,
    maxAttempts: 1,
    requestHandler: { requestTimeout: settings.timeoutMs, disableConcurrentStreams: true },
  };
  if (settings.baseURL) config.endpoint = settings.baseURL;
  return config;
}

/** Converse answers carry no id; the AWS request id makes a traceable one. */
function completionId(requestId: string | undefined): string {
  return `chatcmpl-${requestId ?? randomUUID()}`;
}
