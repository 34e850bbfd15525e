/**
 * The deterministic reply shared by every dialect, and deterministic embedding vectors.
 */
import { countWords } from './message-text';
import type { Answer, ChatView, ProviderName } from './types';

const TOOL_ARGUMENTS = '{"city":"Paris"}';
const TOOL_ARGUMENT_PIECES = ['{"city"', ':"Par', 'is"}'];
/** Words of the prompt boilerplate every request is charged for, like a chat template. */
const PROMPT_OVERHEAD_TOKENS = 3;

let sequence = 0;

/** A process-unique suffix for response, message and tool-call ids. */
export function nextId(): string {
  sequence += 1;
  return `fake${sequence.toString(36).padStart(6, '0')}`;
}

/** Splits text into word pieces, each keeping its trailing whitespace, so they join back. */
export function wordChunks(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/**
 * Builds the reply: a tool call when `wantTool` and the request declares tools (and does not
 * end with a tool result), else `Hello from fake <provider>: <first 40 chars of user text>`.
 * Completion tokens are the answer's words; for a tool call, the words of `name arguments`.
 */
export function buildAnswer(provider: ProviderName, view: ChatView, wantTool: boolean): Answer {
  const promptTokens = view.promptWords + PROMPT_OVERHEAD_TOKENS;
  if (wantTool && view.firstToolName !== undefined && !view.endsWithToolResult) {
    const name = view.firstToolName;
    return {
      textChunks: [],
      toolCall: {
        id: nextId(),
        name,
        argumentsJson: TOOL_ARGUMENTS,
        argumentPieces: TOOL_ARGUMENT_PIECES,
      },
      promptTokens,
      completionTokens: countWords(`${name} ${TOOL_ARGUMENTS}`),
    };
  }
  const text = `Hello from fake ${provider}: ${view.lastUserText.slice(0, 40)}`;
  return { text, textChunks: wordChunks(text), promptTokens, completionTokens: countWords(text) };
}

/** FNV-1a 32-bit hash, the seed for {@link embeddingFor}. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Default vector length when the request names none; small to keep benchmarks cheap. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 8;

/** A unit-length vector that depends only on `text` and `dimensions` (mulberry32 stream). */
export function embeddingFor(text: string, dimensions = DEFAULT_EMBEDDING_DIMENSIONS): number[] {
  let state = hash(text);
  const vector: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i += 1) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    vector.push(value);
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  // Round through float32 so base64 and float encodings describe the same numbers.
  return vector.map((value) => Math.fround(value * scale));
}
