import type { Price } from '../prices/price';
import { tokenCostUnits, unitsToUsd, usdToUnits } from '../prices/usd';
import type { ChatMessage, ChatRequest, EmbeddingRequest } from '../providers/types';
import { countTextTokens } from './count-text';
import { tokenizerFamily, type TokenizerFamily } from './tokenizer-family';

// OpenAI's chat format (the counting rule of OpenAI's cookbook): every message costs 3 framing
// tokens plus its role and content, +1 when it carries a `name`, and the reply is primed with 3
// more. Other providers frame differently; their margin covers it.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;

/** Output cap reserved when neither the request nor the price row names one. */
export const FALLBACK_MAX_OUTPUT_TOKENS = 4_096;

/**
 * Upper-bound prompt tokens of a chat request for an upstream model: the text of every message
 * (content parts, refusals, names, assistant tool calls), the tool definitions and a
 * response_format schema, counted with the model family's tokenizer and margin; images, audio
 * clips and files count a fixed allowance each (see tokenizer-family.ts).
 */
export function countPromptTokens(req: ChatRequest, upstreamModel: string): number {
  const family = tokenizerFamily(upstreamModel);
  let tokens = REPLY_PRIMING_TOKENS;
  let attachments = 0;
  const texts: string[] = [];
  for (const message of req.messages) {
    tokens += TOKENS_PER_MESSAGE;
    texts.push(message.role);
    if ('name' in message && message.name) {
      tokens += TOKENS_PER_NAME;
      texts.push(message.name);
    }
    attachments += collectMessageText(message, texts);
  }
  for (const tool of req.tools ?? []) texts.push(JSON.stringify(tool));
  for (const fn of req.functions ?? []) texts.push(JSON.stringify(fn));
  if (req.response_format && req.response_format.type === 'json_schema') texts.push(JSON.stringify(req.response_format.json_schema));
  for (const text of texts) tokens += countTextTokens(family.encoding, text);
  return applyMargin(family, tokens) + attachments * family.imageTokens;
}

/** Adds a message's text to `texts`; returns how many images, audio clips and files it holds. */
function collectMessageText(message: ChatMessage, texts: string[]): number {
  let attachments = 0;
  const content = message.content;
  if (typeof content === 'string') {
    texts.push(content);
  } else if (Array.isArray(content)) {
    for (const part of content) {
      switch (part.type) {
        case 'text':
          texts.push(part.text);
          break;
        case 'refusal':
          texts.push(part.refusal);
          break;
        default:
          // image_url, input_audio, file: a fixed allowance, never their (base64) bytes.
          attachments++;
      }
    }
  }
  if (message.role === 'assistant') {
    if (message.refusal) texts.push(message.refusal);
    for (const call of message.tool_calls ?? []) {
      if (call.type === 'function') texts.push(call.function.name, call.function.arguments);
      else texts.push(call.custom.name, call.custom.input);
    }
    if (message.function_call) texts.push(message.function_call.name, message.function_call.arguments);
  }
  return attachments;
}

/** Prompt tokens of an embeddings request: each input string counted, token-id inputs by length. */
export function countEmbeddingInputTokens(req: EmbeddingRequest, upstreamModel: string): number {
  const family = tokenizerFamily(upstreamModel);
  const inputs: ReadonlyArray<string | number | readonly number[]> = Array.isArray(req.input) ? req.input : [req.input];
  // An array of numbers is ONE pre-tokenized input; an array of arrays or strings is many.
  if (inputs.length > 0 && typeof inputs[0] === 'number') return inputs.length;
  let exact = 0;
  let text = 0;
  for (const input of inputs) {
    if (typeof input === 'string') text += countTextTokens(family.encoding, input);
    else if (Array.isArray(input)) exact += input.length;
  }
  return exact + applyMargin(family, text);
}

function applyMargin(family: TokenizerFamily, tokens: number): number {
  return family.margin === 1 ? tokens : Math.ceil(tokens * family.margin);
}

/**
 * The reservation amount: prompt tokens at the input price plus the output cap at the output
 * price (cached-input discounts are ignored: an estimate must not be below the real cost).
 *
 * @returns an exact decimal USD string, rounded up to 1e-10 USD.
 */
export function estimateCostUsd(price: Price, tokens: { readonly promptTokens: number; readonly maxOutputTokens: number }): string {
  return unitsToUsd(
    tokenCostUnits(tokens.promptTokens, usdToUnits(price.inputPerMTokUsd)) + tokenCostUnits(tokens.maxOutputTokens, usdToUnits(price.outputPerMTokUsd)),
  );
}

export interface ChatEstimate {
  readonly promptTokens: number;
  /** Output tokens reserved for: the request's cap (× n choices), else the default. */
  readonly maxOutputTokens: number;
  readonly costUsd: string;
}

/**
 * Everything a reservation needs for one chat request on one upstream model.
 *
 * `defaultMaxOutputTokens` is the cap the upstream applies when the request sets none: pass the
 * adapter's own default where it sends one (the Anthropic adapter sends 4096); otherwise the
 * price row's `maxOutputTokens`, else {@link FALLBACK_MAX_OUTPUT_TOKENS}, is used.
 */
export function estimateChatCost(req: ChatRequest, upstreamModel: string, price: Price, opts: { readonly defaultMaxOutputTokens?: number } = {}): ChatEstimate {
  const promptTokens = countPromptTokens(req, upstreamModel);
  const cap = req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxOutputTokens ?? price.maxOutputTokens ?? FALLBACK_MAX_OUTPUT_TOKENS;
  const maxOutputTokens = cap * Math.max(1, req.n ?? 1);
  return { promptTokens, maxOutputTokens, costUsd: estimateCostUsd(price, { promptTokens, maxOutputTokens }) };
}

/** The reservation for an embeddings request: input tokens at the input price. */
export function estimateEmbeddingCost(req: EmbeddingRequest, upstreamModel: string, price: Price): { promptTokens: number; costUsd: string } {
  const promptTokens = countEmbeddingInputTokens(req, upstreamModel);
  return { promptTokens, costUsd: estimateCostUsd(price, { promptTokens, maxOutputTokens: 0 }) };
}
