import type OpenAI from 'openai';
import type { Message, StopReason } from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason } from '../chunk-factory';
import { unixSeconds } from '../chunk-factory';
import type { ChatCompletion, Usage } from '../types';

/** Token counts as both `Message.usage` and the streamed `message_delta.usage` carry them. */
export interface AnthropicTokenCounts {
  readonly input_tokens: number | null;
  readonly output_tokens: number;
  readonly cache_read_input_tokens: number | null;
  readonly cache_creation_input_tokens: number | null;
}

/**
 * Anthropic's stop reason as an OpenAI finish reason: `end_turn`, `stop_sequence` and
 * `pause_turn` → stop; `max_tokens` and `model_context_window_exceeded` → length; `tool_use`
 * → tool_calls; `refusal` → content_filter. A missing reason reads as stop.
 */
export function toFinishReason(reason: StopReason | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * Anthropic usage in OpenAI's terms. Anthropic's `input_tokens` excludes cache reads and
 * cache writes, while OpenAI's `prompt_tokens` includes cached tokens; so `prompt_tokens` =
 * input + cache read + cache creation, `cached_tokens` = cache read, and `total_tokens` =
 * prompt + completion. Cost code can then price `prompt - cached` at the input rate.
 */
export function toOpenAIUsage(counts: AnthropicTokenCounts): Usage {
  const cached = counts.cache_read_input_tokens ?? 0;
  const prompt = (counts.input_tokens ?? 0) + cached + (counts.cache_creation_input_tokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: counts.output_tokens,
    total_tokens: prompt + counts.output_tokens,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/**
 * Maps an Anthropic `Message` to an OpenAI chat completion: text blocks joined into `content`
 * (null when the answer is only tool calls), `tool_use` blocks → `tool_calls` with
 * JSON-string arguments; thinking and server-tool blocks are dropped.
 *
 * @param nowMs clock for `created` (default `Date.now()`).
 */
export function fromAnthropicMessage(message: Message, nowMs: number = Date.now()): ChatCompletion {
  const texts: string[] = [];
  const toolCalls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const text = texts.join('');
  const reply: OpenAI.Chat.ChatCompletionMessage = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) reply.tool_calls = toolCalls;

  return {
    id: message.id,
    object: 'chat.completion',
    created: unixSeconds(nowMs),
    model: message.model,
    choices: [{ index: 0, message: reply, finish_reason: toFinishReason(message.stop_reason), logprobs: null }],
    usage: toOpenAIUsage(message.usage),
  };
}
