import type OpenAI from 'openai';

/**
 * The gateway speaks OpenAI's shapes internally: every adapter maps from the OpenAI request
 * and to the OpenAI response/chunk, so one translation serves the sync (activity) and the
 * streaming (fast path) callers.
 */
export type ChatRequest = OpenAI.Chat.ChatCompletionCreateParams;
export type ChatCompletion = OpenAI.Chat.ChatCompletion;
export type ChatCompletionChunk = OpenAI.Chat.ChatCompletionChunk;
export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
export type EmbeddingRequest = OpenAI.EmbeddingCreateParams;
export type EmbeddingResponse = OpenAI.CreateEmbeddingResponse;
export type Usage = OpenAI.CompletionUsage;

export const ProviderKind = {
  OpenAI: 'openai',
  Azure: 'azure',
  Anthropic: 'anthropic',
  Bedrock: 'bedrock',
} as const;
export type ProviderKind = (typeof ProviderKind)[keyof typeof ProviderKind];

/** A provider entry after config parsing and credential resolution. */
export interface ProviderSettings {
  /** Config id, e.g. `openai` or `local-vllm`. Appears in metrics and errors. */
  readonly id: string;
  readonly kind: ProviderKind;
  /** Base URL override; undefined = the SDK's own default / standard env variable. */
  readonly baseURL?: string;
  /** Resolved API key (openai/azure/anthropic). Never logged. */
  readonly apiKey?: string;
  /** A stored provider credential (`credential:` in the config), resolved per call instead of `apiKey`. */
  readonly credentialId?: string;
  /** Azure OpenAI: API version, e.g. `2024-10-21`. */
  readonly apiVersion?: string;
  /** Bedrock: AWS region. */
  readonly region?: string;
  /** Per-attempt timeout in milliseconds (default 60 000). */
  readonly timeoutMs: number;
  /** TCP/TLS connect timeout in ms (openai, azure, anthropic transports); undefined = none. */
  readonly connectTimeoutMs?: number;
}

/** Per-call context. */
export interface CallContext {
  /** The model name the upstream knows (deployment name on Azure, model id on Bedrock). */
  readonly upstreamModel: string;
  /** Aborts the upstream request (client disconnect, activity cancellation). */
  readonly signal?: AbortSignal;
  /** Gateway request id, forwarded where the provider accepts one. */
  readonly requestId?: string;
  /** Replaces the provider's `timeoutMs` for this call: time until the upstream answers (a stream: its headers), ms. */
  readonly firstByteTimeoutMs?: number;
  /** Bound on the whole call, a stream's body included, ms. */
  readonly totalTimeoutMs?: number;
}

/**
 * A provider adapter. Built once per provider entry; holds its SDK client with the SDK's own
 * retries off (Temporal or the fast-path loop owns retries).
 *
 * Failure mode: every method throws `UpstreamError` (errors/upstream-error.ts) with a
 * classified `failureType`; `chatStream` throws from its first `next()` when the upstream
 * fails before the first byte, and from a later `next()` when the stream breaks mid-way.
 */
export interface ProviderAdapter {
  readonly settings: ProviderSettings;
  /** Non-streaming chat completion in OpenAI's shape (`model` = `ctx.upstreamModel`). */
  chat(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion>;
  /**
   * Streaming chat completion as OpenAI chunks. Always ends with one usage chunk
   * (`choices: []`, `usage` set) when the upstream reports usage, whatever the request's
   * `stream_options`; the HTTP layer drops it when the client did not ask for usage.
   */
  chatStream(req: ChatRequest, ctx: CallContext): AsyncIterable<ChatCompletionChunk>;
  /** Embeddings; throws `UpstreamError` of type `ProviderUnsupported` where the provider has none. */
  embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse>;
}
