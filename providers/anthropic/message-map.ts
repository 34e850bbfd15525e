import type OpenAI from 'openai';
import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageParam,
  TextBlockParam,
  ToolResultBlockParam,
  ToolUseBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from '../types';
import { isHttpUrl, joinTextParts, parseDataUrl, parseToolArguments } from '../request-parts';
import { unsupportedFeature } from '../upstream-failures';

/** OpenAI chat messages split into Anthropic's top-level `system` and alternating turns. */
export interface AnthropicConversation {
  /** System and developer messages, in order, joined by blank lines; `undefined` when none. */
  readonly system: string | undefined;
  readonly messages: MessageParam[];
}

type Role = 'user' | 'assistant';
type ImageMediaType = Extract<ImageBlockParam['source'], { type: 'base64' }>['media_type'];

const IMAGE_MEDIA_TYPES: readonly ImageMediaType[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/**
 * Maps OpenAI messages to Anthropic's Messages API:
 * - `system` / `developer` → the top-level `system` (wherever they appear);
 * - `user` text and `image_url` parts → text / image blocks (data: URLs → base64 source,
 *   http(s) URLs → url source);
 * - `assistant` text and `tool_calls` → text / `tool_use` blocks;
 * - `tool` messages → `tool_result` blocks in a user turn.
 * Consecutive turns of the same role are merged into one (Anthropic requires alternation),
 * which also gathers a run of tool results, and any user text after them, into one user turn.
 *
 * @throws UpstreamError `ProviderUnsupported` for audio/file parts, custom tools and the
 *   legacy `function` role; `InvalidRequest` for tool arguments that are not a JSON object.
 */
export function toAnthropicConversation(messages: readonly ChatMessage[], provider: string): AnthropicConversation {
  const system: string[] = [];
  const turns: { role: Role; content: ContentBlockParam[] }[] = [];
  const push = (role: Role, blocks: ContentBlockParam[]): void => {
    if (blocks.length === 0) return;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  messages.forEach((message, i) => {
    const param = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = joinTextParts(message.content);
        if (text) system.push(text);
        break;
      }
      case 'user':
        push('user', userBlocks(message.content, provider, param));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(message, provider, param));
        break;
      case 'tool':
        push('user', [toolResultBlock(message)]);
        break;
      case 'function':
        throw unsupportedFeature(provider, param, 'the deprecated function role is not supported; use tool messages');
    }
  });

  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: turns };
}

function userBlocks(content: OpenAI.Chat.ChatCompletionUserMessageParam['content'], provider: string, param: string): ContentBlockParam[] {
  if (typeof content === 'string') return textBlocks(content);
  const blocks: ContentBlockParam[] = [];
  content.forEach((part, j) => {
    const partParam = `${param}.content[${j}]`;
    switch (part.type) {
      case 'text':
        blocks.push(...textBlocks(part.text));
        break;
      case 'image_url':
        blocks.push(imageBlock(part.image_url.url, provider, partParam));
        break;
      default:
        throw unsupportedFeature(provider, partParam, `content parts of type ${part.type} are not supported for Anthropic`);
    }
  });
  return blocks;
}

function assistantBlocks(message: OpenAI.Chat.ChatCompletionAssistantMessageParam, provider: string, param: string): ContentBlockParam[] {
  if (message.function_call) {
    throw unsupportedFeature(provider, `${param}.function_call`, 'the deprecated function_call is not supported; use tool_calls');
  }
  const blocks: ContentBlockParam[] = textBlocks(joinTextParts(message.content));
  message.tool_calls?.forEach((call, j) => {
    const callParam = `${param}.tool_calls[${j}]`;
    if (call.type !== 'function') {
      throw unsupportedFeature(provider, callParam, 'custom tool calls are not supported for Anthropic');
    }
    const block: ToolUseBlockParam = {
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: parseToolArguments(call.function.arguments, provider, `${callParam}.function.arguments`),
    };
    blocks.push(block);
  });
  return blocks;
}

function toolResultBlock(message: OpenAI.Chat.ChatCompletionToolMessageParam): ToolResultBlockParam {
  const text = joinTextParts(message.content);
  return text ? { type: 'tool_result', tool_use_id: message.tool_call_id, content: text } : { type: 'tool_result', tool_use_id: message.tool_call_id };
}

/** Anthropic rejects empty text blocks, so empty text yields no block. */
function textBlocks(text: string): TextBlockParam[] {
  return text ? [{ type: 'text', text }] : [];
}

function imageBlock(url: string, provider: string, param: string): ImageBlockParam {
  const data = parseDataUrl(url);
  if (data) {
    const mediaType = IMAGE_MEDIA_TYPES.find((t) => t === data.mediaType);
    if (!mediaType) {
      throw unsupportedFeature(provider, param, `image type ${data.mediaType} is not supported (jpeg, png, gif, webp are)`);
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data.base64 } };
  }
  if (isHttpUrl(url)) return { type: 'image', source: { type: 'url', url } };
  throw unsupportedFeature(provider, param, 'image_url must be a data: URL or an http(s) URL');
}
