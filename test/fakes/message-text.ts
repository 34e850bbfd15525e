/**
 * Dialect-neutral reading of chat messages. OpenAI, Anthropic and Bedrock all keep text in
 * `content` strings or in blocks with a `text` field, so one walker serves the three.
 */
import { arrayOf, field, isRecord, stringOf } from './json-shape';

/** Whitespace-separated words in `text`. */
export function countWords(text: string): number {
  let count = 0;
  for (const word of text.split(/\s+/)) if (word.length > 0) count += 1;
  return count;
}

/** Every string under a `text` or `content` key, at any depth (tool results included). */
export function collectTexts(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) collectTexts(item, out);
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'text' || key === 'content') && typeof value === 'string') out.push(value);
      else if (typeof value === 'object') collectTexts(value, out);
    }
  }
  return out;
}

/** Total words across the given nodes (system prompt, messages). */
export function countPromptWords(...nodes: unknown[]): number {
  let words = 0;
  for (const text of collectTexts(nodes)) words += countWords(text);
  return words;
}

/** Text directly in a message's content: a string, or `text` blocks (not nested tool results). */
function directText(message: unknown): string {
  const content = field(message, 'content');
  if (typeof content === 'string') return content;
  const parts: string[] = [];
  for (const block of arrayOf(content)) {
    const text = stringOf(field(block, 'text'));
    if (text !== undefined) parts.push(text);
  }
  return parts.join('\n');
}

/**
 * Text of the last user message that has any. Skipping text-less user turns (Anthropic and
 * Bedrock tool results) makes a tool follow-up read the same text in every dialect, as OpenAI
 * puts tool results in `tool` messages instead.
 */
export function lastUserText(messages: unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (field(messages[i], 'role') !== 'user') continue;
    const text = directText(messages[i]);
    if (text.length > 0) return text;
  }
  return '';
}

/** True when the final message is a tool result in any dialect. */
export function endsWithToolResult(messages: unknown[]): boolean {
  const last = messages[messages.length - 1];
  if (field(last, 'role') === 'tool') return true;
  return arrayOf(field(last, 'content')).some((block) => field(block, 'type') === 'tool_result' || field(block, 'toolResult') !== undefined);
}
