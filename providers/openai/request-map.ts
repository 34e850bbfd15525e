import type OpenAI from 'openai';
import type { ChatRequest, EmbeddingRequest } from '../types';

/**
 * OpenAI-compatible upstreams (OpenAI, Azure OpenAI, vLLM and friends) take the gateway's
 * request as it is; only the model and the streaming fields change.
 */

/**
 * The non-streaming request: `model` = the upstream model (the Azure deployment name), `stream`
 * and `stream_options` removed (OpenAI rejects `stream_options` without `stream: true`).
 */
export function toOpenAIChatParams(req: ChatRequest, upstreamModel: string): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  const { stream: _stream, stream_options: _streamOptions, ...rest } = req;
  return { ...rest, model: upstreamModel };
}

/**
 * The streaming request: `stream: true` and `stream_options.include_usage: true` whatever the
 * client asked, so the upstream always ends with a usage chunk (the HTTP layer drops it when
 * the client did not ask for usage).
 */
export function toOpenAIStreamParams(req: ChatRequest, upstreamModel: string): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
  const { stream: _stream, stream_options: streamOptions, ...rest } = req;
  return { ...rest, model: upstreamModel, stream: true, stream_options: { ...streamOptions, include_usage: true } };
}

/** The embeddings request with `model` = the upstream model; `encoding_format` is kept as sent. */
export function toOpenAIEmbeddingParams(req: EmbeddingRequest, upstreamModel: string): OpenAI.EmbeddingCreateParams {
  return { ...req, model: upstreamModel };
}
