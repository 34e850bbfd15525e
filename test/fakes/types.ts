/**
 * Public types of the fake upstream and the internal contract every provider module fulfils.
 */
import type { Reply } from './reply';

/** Which wire dialect a request was spoken in; Azure is OpenAI's dialect on Azure's paths. */
export type ProviderName = 'openai' | 'azure' | 'anthropic' | 'bedrock';

/** One request as the fake saw it, kept for assertions when recording is on. */
export interface RecordedRequest {
  provider: ProviderName;
  /** URL path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request target as sent, query string included (Azure's `api-version` lives there). */
  url: string;
  /** Model from the body, the Azure deployment, or the URL-decoded Bedrock model id. */
  model: string;
  stream: boolean;
  /** Text of the last user message that carries text (embeddings: the last input text). */
  lastUserText: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body. */
  body: unknown;
  /**
   * Becomes true when the client disconnects before the fake finished answering (e.g. the
   * gateway aborting an upstream call); stays false for faults the fake breaks itself (`cut`).
   */
  aborted: boolean;
}

/** Handle on a running fake upstream. */
export interface FakeUpstream {
  /** Base URL, `http://127.0.0.1:<port>`, with no trailing slash. */
  url: string;
  port: number;
  /** Recorded requests in arrival order; stays empty when started with `record: false`. */
  requests: RecordedRequest[];
  /** Number of recorded requests whose `lastUserText` equals `text` exactly. */
  countFor(text: string): number;
  /** Forgets recorded requests and the `#fault=NNNxN` attempt counters. */
  reset(): void;
  /** Stops listening and destroys open sockets, hung ones included. */
  close(): Promise<void>;
  /** From now on answer 401 to requests carrying `key` (as if the provider revoked it), like `bad-key`. */
  refuseKey(key: string): void;
  /** Accepts `key` again after {@link refuseKey}. */
  acceptKey(key: string): void;
}

/** Options of {@link FakeUpstream} start-up. */
export interface StartFakeUpstreamOptions {
  /** TCP port on 127.0.0.1; default 0 (an ephemeral port). */
  port?: number;
  /** Record requests; default true. Benchmarks pass false to keep memory flat. */
  record?: boolean;
  /** Extra wait before every answer, ms (added to `#delay`); default 0. Makes one whole upstream slow. */
  delayMs?: number;
}

/** What a chat request asks for, independent of dialect. */
export interface ChatView {
  kind: 'chat';
  model: string;
  stream: boolean;
  lastUserText: string;
  /** Whitespace-separated words across system and all message texts. */
  promptWords: number;
  /** Name of the first declared tool, if any tools were sent. */
  firstToolName?: string;
  /** True when the conversation ends with a tool result, so the fake answers in text. */
  endsWithToolResult: boolean;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
}

/** What an embeddings request asks for, independent of dialect. */
export interface EmbeddingsView {
  kind: 'embeddings';
  model: string;
  stream: false;
  inputs: string[];
  lastUserText: string;
  /** Requested vector length, if the request named one. */
  dimensions?: number;
  /** OpenAI `encoding_format`; the OpenAI SDK asks for base64 unless told otherwise. */
  base64: boolean;
}

export type RequestView = ChatView | EmbeddingsView;

/** A failure the fake must render in the provider's own error format. */
export interface UpstreamError {
  /** Nominal HTTP status; providers may map it (Bedrock has no 401, so it answers 403). */
  status: number;
  /** Special flavours that share a status with plainer errors. */
  reason?: 'context' | 'bad-key';
  /** Seconds for the `retry-after` header (fractional allowed). */
  retryAfterSeconds?: number;
  /** Overrides the provider's canned message. */
  message?: string;
  /** The credential the request presented: OpenAI's 401 quotes a masked fragment of it. */
  presentedKey?: string;
}

/** The deterministic reply the fake gives, before dialect formatting. */
export interface Answer {
  /** Text reply; absent when the reply is a tool call. */
  text?: string;
  /** `text` split into word pieces whose concatenation equals `text`. */
  textChunks: string[];
  toolCall?: ToolCallAnswer;
  promptTokens: number;
  completionTokens: number;
}

/** A tool call to the request's first tool with arguments `{"city":"Paris"}`. */
export interface ToolCallAnswer {
  id: string;
  name: string;
  argumentsJson: string;
  /** Pieces of `argumentsJson` for streaming, in order. */
  argumentPieces: string[];
}

/** Where in a stream plan the content chunks lie, so `#fault=cut` can stop after two. */
export interface StreamPlan {
  contentType: string;
  /** Provider headers such as request ids. */
  headers: Record<string, string>;
  frames: (string | Uint8Array)[];
  /** Index just past the second content chunk frame. */
  cutIndex: number;
}

/** One provider dialect: parses requests and renders answers, streams and errors. */
export interface ProviderDialect {
  readonly provider: ProviderName;
  sendError(res: Reply, error: UpstreamError): void;
  sendChat(res: Reply, view: ChatView, answer: Answer): void;
  planStream(view: ChatView, answer: Answer): StreamPlan;
  /** A stream that starts well and then carries one frame of invalid JSON. */
  planMalformedStream(view: ChatView): StreamPlan;
  sendEmbeddings(res: Reply, view: EmbeddingsView): void;
}

/** A matched route: the dialect plus a parser that already knows what the path says. */
export interface RouteMatch {
  dialect: ProviderDialect;
  /** URL path without the query string. */
  path: string;
  /** Reads the request body into a view; throws `BadRequestBody` or `SyntaxError` on bad input. */
  parse(body: unknown): RequestView;
}
