import { countTokens as countCl100k } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/cjs/encoding/o200k_base';
import type { EncodingName } from './tokenizer-family';

// Client text is data: `<|endoftext|>` in a prompt is counted as ordinary text (the library's
// default would throw on it), which is also how the providers treat it.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Exact token count of `text` in a tiktoken encoding (gpt-tokenizer, ranks bundled, offline). */
export function countTextTokens(encoding: EncodingName, text: string): number {
  if (text === '') return 0;
  return encoding === 'o200k_base' ? countO200k(text, AS_PLAIN_TEXT) : countCl100k(text, AS_PLAIN_TEXT);
}
