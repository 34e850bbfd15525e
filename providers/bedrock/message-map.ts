import type OpenAI from 'openai';
import type { ContentBlock, ImageFormat, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import type { ChatMessage } from '../types';
import { isHttpUrl, joinTextParts, parseDataUrl, parseToolArguments } from '../request-parts';
import { unsupportedFeature } from '../upstream-failures';
import { toDocument } from './document-value';

/** OpenAI chat messages split into Converse's `system` blocks and alternating messages. */
export interface ConverseConversation {
  readonly system: SystemContentBlock[];
  readonly messages: Message[];
  /** True when a message holds `toolUse`/`toolResult` blocks; Converse then requires a `toolConfig`. */
  readonly hasToolBlocks: boolean;
}

type Role = 'user' | 'assistant';

const IMAGE_FORMATS: Readonly<Record<string, ImageFormat>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * Maps OpenAI messages to the Converse API:
 * - `system` / `developer` → `system` text blocks (wherever they appear);
 * - `user` text and `image_url` parts → text / image blocks (data: URLs → image bytes);
 * - `assistant` text and `tool_calls` → text / `toolUse` blocks;
 * - `tool` messages → `toolResult` blocks in a user message.
 * Consecutive messages of the same role are merged (Converse requires alternation).
 *
 * @throws UpstreamError `ProviderUnsupported` for http(s) image URLs (Converse takes bytes or
 *   S3 only), audio/file parts, custom tools and the `function` role; `InvalidRequest` for
 *   tool arguments that are not a JSON object.
 */
export function toConverseConversation(messages: readonly ChatMessage[], provider: string): ConverseConversation {
  const system: SystemContentBlock[] = [];
  const turns: { role: Role; content: ContentBlock[] }[] = [];
  let hasToolBlocks = false;
  const push = (role: Role, blocks: ContentBlock[]): void => {
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
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', userBlocks(message.content, provider, param));
        break;
      case 'assistant': {
        const blocks = assistantBlocks(message, provider, param);
        hasToolBlocks ||= blocks.some((b) => b.toolUse !== undefined);
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        const text = joinTextParts(message.content);
        hasToolBlocks = true;
        push('user', [{ toolResult: { toolUseId: message.tool_call_id, content: text ? [{ text }] : [] } }]);
        break;
      }
      case 'function':
        throw unsupportedFeature(provider, param, 'the deprecated function role is not supported; use tool messages');
    }
  });

  return { system, messages: turns, hasToolBlocks };
}

function userBlocks(content: OpenAI.Chat.ChatCompletionUserMessageParam['content'], provider: string, param: string): ContentBlock[] {
  if (typeof content === 'string') return textBlocks(content);
  const blocks: ContentBlock[] = [];
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
        throw unsupportedFeature(provider, partParam, `content parts of type ${part.type} are not supported for Bedrock`);
    }
  });
  return blocks;
}

function assistantBlocks(message: OpenAI.Chat.ChatCompletionAssistantMessageParam, provider: string, param: string): ContentBlock[] {
  if (message.function_call) {
    throw unsupportedFeature(provider, `${param}.function_call`, 'the deprecated function_call is not supported; use tool_calls');
  }
  const blocks: ContentBlock[] = textBlocks(joinTextParts(message.content));
  message.tool_calls?.forEach((call, j) => {
    const callParam = `${param}.tool_calls[${j}]`;
    if (call.type !== 'function') {
      throw unsupportedFeature(provider, callParam, 'custom tool calls are not supported for Bedrock');
    }
    const input = parseToolArguments(call.function.arguments, provider, `${callParam}.function.arguments`);
    blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: toDocument(input) } });
  });
  return blocks;
}

/** Converse rejects blank text blocks, so empty text yields no block. */
function textBlocks(text: string): ContentBlock[] {
  return text ? [{ text }] : [];
}

function imageBlock(url: string, provider: string, param: string): ContentBlock {
  const data = parseDataUrl(url);
  if (data) {
    const format = IMAGE_FORMATS[data.mediaType];
    if (!format) {
      throw unsupportedFeature(provider, param, `image type ${data.mediaType} is not supported (jpeg, png, gif, webp are)`);
    }
    return { image: { format, source: { bytes: Buffer.from(data.base64, 'base64') } } };
  }
  if (isHttpUrl(url)) {
    throw unsupportedFeature(provider, param, 'Bedrock takes images as inline data only; send the image as a data: URL');
  }
  throw unsupportedFeature(provider, param, 'image_url must be a data: URL');
}
