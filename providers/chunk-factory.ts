import type OpenAI from 'openai';
import type { ChatCompletionChunk, Usage } from './types';

/**
 * Builders for the OpenAI `chat.completion.chunk` objects the Anthropic and Bedrock stream
 * maps emit, so both produce byte-identical framing.
 */

/** The `delta` of one streamed choice. */
export type ChunkDelta = OpenAI.Chat.ChatCompletionChunk.Choice.Delta;
/** OpenAI's finish reasons (`stop`, `length`, `tool_calls`, `content_filter`, `function_call`). */
export type FinishReason = OpenAI.Chat.ChatCompletion.Choice['finish_reason'];

/** Fields repeated on every chunk of one stream. */
export interface ChunkMeta {
  readonly id: string;
  readonly model: string;
  /** Unix seconds. */
  readonly created: number;
}

/** A chunk with one choice carrying `delta` (and `finish_reason`, on the last content chunk). */
export function deltaChunk(meta: ChunkMeta, delta: ChunkDelta, finishReason: FinishReason | null = null): ChatCompletionChunk {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
  };
}

/** The trailing usage chunk: `choices: []` and `usage` set, as OpenAI sends with `include_usage`. */
export function usageChunk(meta: ChunkMeta, usage: Usage): ChatCompletionChunk {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    choices: [],
    usage,
  };
}

/** Current time in Unix seconds, the unit of `created`. */
export function unixSeconds(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000);
}
