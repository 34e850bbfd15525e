/**
 * Which real tokenizer counts a model's prompt, and how much to add for the difference.
 *
 * OpenAI publishes its encodings (tiktoken), so OpenAI models are counted exactly (margin 1).
 * Anthropic, Amazon and Meta publish no offline tokenizer for their current models, so their
 * prompts are counted with cl100k_base (the closest published BPE in vocabulary size) and then
 * scaled up by a margin. The margins are deliberately generous: a reservation only has to be
 * an upper bound (settlement charges the provider-reported usage), and under-reserving is the
 * only way a budget can be overrun.
 * - Claude: Anthropic's own tokenizer produces noticeably more tokens than cl100k for the same
 *   text (roughly 10–35 % more for English, more for code and non-Latin scripts): margin 1.35.
 * - Llama 3.x: its 128k tiktoken-style vocabulary extends cl100k, so counts are close: 1.1.
 * - Everything else (Nova, Titan, Mistral, Cohere, unknown models): 1.35.
 */

export type EncodingName = 'o200k_base' | 'cl100k_base';

export interface TokenizerFamily {
  /** A short name for logs and tests: `openai-o200k`, `claude`, … */
  readonly family: string;
  readonly encoding: EncodingName;
  /** Multiplier applied to the encoding's count (>= 1). */
  readonly margin: number;
  /** Tokens reserved per image (and per audio clip or file part) in a prompt. */
  readonly imageTokens: number;
}

// gpt-4o / gpt-4.1 at high detail: at most 85 + 170 × 6 tiles = 1105 tokens per image. Claude:
// ≈ width × height / 750, about 1600 at the largest size it keeps without resizing. One
// allowance covers both.
const DEFAULT_IMAGE_TOKENS = 1_600;
// gpt-4o-mini bills images at ~33× the tokens (2833 base + 5667 per tile, up to 6 tiles).
const GPT_4O_MINI_IMAGE_TOKENS = 36_835;
// Patch-billed models (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): up to 1536 patches × 2.46.
const PATCH_BILLED_IMAGE_TOKENS = 3_800;

const O200K_MODELS = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o\d)/;
const CL100K_MODELS = /^(?:gpt-4|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/;
const PATCH_BILLED = /^(?:gpt-4\.1-(?:mini|nano)|o4-mini|gpt-5(?:\.\d+)?-(?:mini|nano))/;
// Bedrock ids may carry a cross-region prefix (`us.anthropic.…`).
const GEO_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\.(?=[a-z]+\.)/;

/** The tokenizer for an upstream model id (OpenAI, Anthropic or Bedrock naming). */
export function tokenizerFamily(model: string): TokenizerFamily {
  const id = model.toLowerCase().replace(GEO_PREFIX, '');
  if (O200K_MODELS.test(id)) {
    const imageTokens = id.startsWith('gpt-4o-mini') ? GPT_4O_MINI_IMAGE_TOKENS : PATCH_BILLED.test(id) ? PATCH_BILLED_IMAGE_TOKENS : DEFAULT_IMAGE_TOKENS;
    return { family: 'openai-o200k', encoding: 'o200k_base', margin: 1, imageTokens };
  }
  if (CL100K_MODELS.test(id)) return { family: 'openai-cl100k', encoding: 'cl100k_base', margin: 1, imageTokens: DEFAULT_IMAGE_TOKENS };
  if (id.startsWith('claude') || id.startsWith('anthropic.')) {
    return { family: 'claude', encoding: 'cl100k_base', margin: 1.35, imageTokens: DEFAULT_IMAGE_TOKENS };
  }
  if (id.startsWith('meta.llama3') || id.startsWith('llama-3') || id.startsWith('llama3')) {
    return { family: 'llama3', encoding: 'cl100k_base', margin: 1.1, imageTokens: DEFAULT_IMAGE_TOKENS };
  }
  return { family: 'other', encoding: 'cl100k_base', margin: 1.35, imageTokens: DEFAULT_IMAGE_TOKENS };
}
