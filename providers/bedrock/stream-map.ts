import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { deltaChunk, usageChunk, type ChunkMeta } from '../chunk-factory';
import type { ChatCompletionChunk } from '../types';
import { classifyBedrockStreamException } from './error-map';
import { toFinishReason, toOpenAIUsage } from './response-map';

/** Exception members a ConverseStream event can carry instead of being thrown, with their AWS names. */
const EXCEPTION_MEMBERS = {
  internalServerException: 'InternalServerException',
  modelStreamErrorException: 'ModelStreamErrorException',
  validationException: 'ValidationException',
  throttlingException: 'ThrottlingException',
  serviceUnavailableException: 'ServiceUnavailableException',
} as const;

/**
 * Turns ConverseStream events into OpenAI `chat.completion.chunk`s, one event at a time:
 * - `messageStart` → a chunk with `role: 'assistant'` and empty content;
 * - `contentBlockStart` of a `toolUse` → a `tool_calls` delta with `index`, `id`, `name` and
 *   empty arguments (tool calls are numbered 0, 1, … independently of text blocks);
 * - `contentBlockDelta` text → a content delta; toolUse input → an arguments delta;
 * - `messageStop` → a chunk with `finish_reason`;
 * - `metadata` (which Bedrock sends after `messageStop`) → one usage chunk (`choices: []`);
 * - `contentBlockStop`, reasoning and citation deltas → nothing.
 * Instances are single-use: one per upstream stream.
 */
export class BedrockStreamMapper {
  private readonly toolIndexByBlock = new Map<number, number>();
  private stopped = false;

  /** @param provider provider id, set on errors raised from exception events. */
  constructor(
    private readonly provider: string,
    private readonly meta: ChunkMeta,
  ) {}

  /** True once `messageStop` arrived; a stream that ends before that was cut short. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * The chunks one event produces (often none).
   *
   * @throws UpstreamError for an exception member, classified by its exception name.
   */
  push(event: ConverseStreamOutput): ChatCompletionChunk[] {
    if (event.messageStart) return [deltaChunk(this.meta, { role: 'assistant', content: '' })];
    if (event.contentBlockStart) {
      const toolUse = event.contentBlockStart.start?.toolUse;
      if (!toolUse) return [];
      const index = this.toolIndexByBlock.size;
      this.toolIndexByBlock.set(event.contentBlockStart.contentBlockIndex ?? index, index);
      return [
        deltaChunk(this.meta, {
          tool_calls: [{ index, id: toolUse.toolUseId, type: 'function', function: { name: toolUse.name, arguments: '' } }],
        }),
      ];
    }
    if (event.contentBlockDelta) {
      const delta = event.contentBlockDelta.delta;
      if (delta?.text) return [deltaChunk(this.meta, { content: delta.text })];
      const index = this.toolIndexByBlock.get(event.contentBlockDelta.contentBlockIndex ?? -1);
      const args = delta?.toolUse?.input;
      if (index === undefined || !args) return [];
      return [deltaChunk(this.meta, { tool_calls: [{ index, function: { arguments: args } }] })];
    }
    if (event.messageStop) {
      this.stopped = true;
      return [deltaChunk(this.meta, {}, toFinishReason(event.messageStop.stopReason))];
    }
    if (event.metadata) {
      return event.metadata.usage ? [usageChunk(this.meta, toOpenAIUsage(event.metadata.usage))] : [];
    }
    for (const [member, exceptionName] of Object.entries(EXCEPTION_MEMBERS)) {
      const exception = event[member as keyof typeof EXCEPTION_MEMBERS];
      if (exception) throw classifyBedrockStreamException(exceptionName, exception.message, this.provider);
    }
    // contentBlockStop, and members newer than this map.
    return [];
  }
}
