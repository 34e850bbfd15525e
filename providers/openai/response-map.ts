import type { ChatCompletion, EmbeddingResponse } from '../types';
import { badResponse } from '../upstream-failures';

/**
 * OpenAI-compatible responses pass through unchanged, but only after a shape check: the SDK
 * returns a non-JSON 2xx body as a plain string, which must become `ProviderBadResponse`
 * rather than reach the client as a "completion".
 */

/**
 * The upstream's chat completion, unchanged.
 * @throws UpstreamError `ProviderBadResponse` when `value` has no `choices` array.
 */
export function checkChatCompletion(value: unknown, provider: string): ChatCompletion {
  if (isChatCompletion(value)) return value;
  throw badResponse(provider, 'the upstream answered with a body that is not a chat completion');
}

/**
 * The upstream's embedding list, unchanged.
 * @throws UpstreamError `ProviderBadResponse` when `value` has no `data` array.
 */
export function checkEmbeddingResponse(value: unknown, provider: string): EmbeddingResponse {
  if (isEmbeddingResponse(value)) return value;
  throw badResponse(provider, 'the upstream answered with a body that is not an embedding list');
}

function isChatCompletion(value: unknown): value is ChatCompletion {
  return isRecord(value) && Array.isArray(value.choices);
}

function isEmbeddingResponse(value: unknown): value is EmbeddingResponse {
  return isRecord(value) && Array.isArray(value.data);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
