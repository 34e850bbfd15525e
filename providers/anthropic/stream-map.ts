import type { MessageDeltaUsage, RawMessageStreamEvent, StopReason, Usage as AnthropicUsage } from '@anthropic-ai/sdk/resources/messages';
import { deltaChunk, unixSeconds, usageChunk, type ChunkMeta } from '../chunk-factory';
import type { ChatCompletionChunk } from '../types';
import { classifyAnthropicStreamError } from './error-map';
import { toFinishReason, toOpenAIUsage, type AnthropicTokenCounts } from './response-map';

/**
 * Every event the Messages stream can carry. The SDK already drops `ping` and turns `error`
 * into a thrown `APIError`, but both are accepted here so the map stays correct on its own.
 */
export type AnthropicStreamEvent =
  RawMessageStreamEvent | { readonly type: 'ping' } | { readonly type: 'error'; readonly error: { readonly type?: string; readonly message?: string } };

/**
 * Turns Anthropic's raw stream events into OpenAI `chat.completion.chunk`s, one event at a
 * time:
 * - `message_start` → a chunk with `role: 'assistant'` and empty content;
 * - `content_block_start` of a `tool_use` → a `tool_calls` delta with `index`, `id`, `name`
 *   and empty arguments (OpenAI numbers tool calls 0, 1, … independently of text blocks);
 * - `text_delta` → a content delta; `input_json_delta` → an arguments delta for that call;
 * - `message_delta` → remembers stop reason and usage;
 * - `message_stop` → a chunk with `finish_reason`, then one usage chunk (`choices: []`);
 * - `ping`, `content_block_stop`, thinking and citation deltas → nothing.
 * Instances are single-use: one per upstream stream.
 */
export class AnthropicStreamMapper {
  private meta: ChunkMeta;
  private counts: Mutable<AnthropicTokenCounts> = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: null,
    cache_creation_input_tokens: null,
  };
  private stopReason: StopReason | null = null;
  private readonly toolIndexByBlock = new Map<number, number>();
  private finished = false;

  /**
   * @param provider provider id, set on errors raised from `error` events.
   * @param fallbackModel model name used until `message_start` names one.
   */
  constructor(
    private readonly provider: string,
    fallbackModel: string,
    nowMs: number = Date.now(),
  ) {
    this.meta = { id: 'msg_unknown', model: fallbackModel, created: unixSeconds(nowMs) };
  }

  /** True once `message_stop` arrived; a stream that ends before that was cut short. */
  get done(): boolean {
    return this.finished;
  }

  /**
   * The chunks one event produces (often none).
   *
   * @throws UpstreamError for an `error` event, classified by its `error.type`.
   */
  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    if (this.finished) return [];
    switch (event.type) {
      case 'message_start':
        this.meta = { ...this.meta, id: event.message.id, model: event.message.model || this.meta.model };
        this.updateUsage(event.message.usage);
        return [deltaChunk(this.meta, { role: 'assistant', content: '' })];
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text' && block.text) return [deltaChunk(this.meta, { content: block.text })];
        if (block.type !== 'tool_use') return [];
        const index = this.toolIndexByBlock.size;
        this.toolIndexByBlock.set(event.index, index);
        return [
          deltaChunk(this.meta, {
            tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }],
          }),
        ];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') return delta.text ? [deltaChunk(this.meta, { content: delta.text })] : [];
        const index = this.toolIndexByBlock.get(event.index);
        if (delta.type !== 'input_json_delta' || index === undefined || !delta.partial_json) return [];
        return [deltaChunk(this.meta, { tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
      }
      case 'message_delta':
        if (event.delta.stop_reason) this.stopReason = event.delta.stop_reason;
        this.updateUsage(event.usage);
        return [];
      case 'message_stop':
        this.finished = true;
        return [deltaChunk(this.meta, {}, toFinishReason(this.stopReason)), usageChunk(this.meta, toOpenAIUsage(this.counts))];
      case 'error':
        throw classifyAnthropicStreamError(event.error, this.provider);
      default:
        // content_block_stop, ping, and event types newer than this map.
        return [];
    }
  }

  /** `message_start` carries input counts; `message_delta` carries cumulative output (and may restate input). */
  private updateUsage(usage: AnthropicUsage | MessageDeltaUsage): void {
    if (usage.input_tokens != null) this.counts.input_tokens = usage.input_tokens;
    if (usage.cache_read_input_tokens != null) this.counts.cache_read_input_tokens = usage.cache_read_input_tokens;
    if (usage.cache_creation_input_tokens != null) this.counts.cache_creation_input_tokens = usage.cache_creation_input_tokens;
    this.counts.output_tokens = usage.output_tokens;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
