import type OpenAI from 'openai';
import type { ConverseResponse, StopReason, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import { unixSeconds, type FinishReason } from '../chunk-factory';
import type { ChatCompletion, Usage } from '../types';
import { badResponse } from '../upstream-failures';

/**
 * Converse's stop reason as an OpenAI finish reason: `end_turn` and `stop_sequence` → stop;
 * `max_tokens` and `model_context_window_exceeded` → length; `tool_use` → tool_calls;
 * `content_filtered` and `guardrail_intervened` → content_filter; anything else → stop.
 */
export function toFinishReason(reason: StopReason | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'content_filtered':
    case 'guardrail_intervened':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * Converse usage in OpenAI's terms. Bedrock's `inputTokens` excludes cache reads and writes
 * (its `totalTokens` includes them), while OpenAI's `prompt_tokens` includes cached tokens; so
 * `prompt_tokens` = input + cache read + cache write, `cached_tokens` = cache read, and
 * `total_tokens` = prompt + completion (equal to Bedrock's `totalTokens`).
 */
export function toOpenAIUsage(usage: TokenUsage | undefined): Usage {
  const cached = usage?.cacheReadInputTokens ?? 0;
  const prompt = (usage?.inputTokens ?? 0) + cached + (usage?.cacheWriteInputTokens ?? 0);
  const completion = usage?.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** Identity of the completion being built; Converse answers carry no id or model of their own. */
export interface CompletionIdentity {
  readonly id: string;
  readonly model: string;
  readonly provider: string;
  /** Clock for `created` (default `Date.now()`). */
  readonly nowMs?: number;
}

/**
 * Maps a Converse answer to an OpenAI chat completion: text blocks joined into `content`
 * (null when the answer is only tool calls), `toolUse` blocks → `tool_calls` with JSON-string
 * arguments; reasoning and other blocks are dropped.
 *
 * @throws UpstreamError `ProviderBadResponse` when the answer holds no message.
 */
export function fromConverseResponse(res: ConverseResponse, identity: CompletionIdentity): ChatCompletion {
  const message = res.output?.message;
  if (!message) throw badResponse(identity.provider, 'the Converse answer holds no message');
  const texts: string[] = [];
  const toolCalls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
  for (const block of message.content ?? []) {
    if (block.text !== undefined) texts.push(block.text);
    else if (block.toolUse) {
      toolCalls.push({
        id: block.toolUse.toolUseId ?? `call_${toolCalls.length}`,
        type: 'function',
        function: { name: block.toolUse.name ?? '', arguments: JSON.stringify(block.toolUse.input ?? {}) },
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
    id: identity.id,
    object: 'chat.completion',
    created: unixSeconds(identity.nowMs),
    model: identity.model,
    choices: [{ index: 0, message: reply, finish_reason: toFinishReason(res.stopReason), logprobs: null }],
    usage: toOpenAIUsage(res.usage),
  };
}
