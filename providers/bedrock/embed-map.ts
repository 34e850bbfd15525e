import type OpenAI from 'openai';
import type { EmbeddingRequest, EmbeddingResponse } from '../types';
import { badResponse, invalidRequest, unsupportedFeature } from '../upstream-failures';

/** One Titan text embeddings answer: `{"embedding": number[], "inputTextTokenCount": n}`. */
export interface TitanEmbedding {
  readonly embedding: number[];
  readonly inputTextTokenCount: number;
}

/**
 * The texts to embed, in order: a string is one text, a string array is one per element.
 *
 * @throws UpstreamError `ProviderUnsupported` for token-array inputs (Titan takes text only);
 *   `InvalidRequest` for an empty list.
 */
export function titanInputs(req: EmbeddingRequest, provider: string): string[] {
  const input = req.input;
  if (typeof input === 'string') return [input];
  if (input.length === 0) throw invalidRequest(provider, 'input', 'input must not be an empty list');
  if (!input.every((item): item is string => typeof item === 'string')) {
    throw unsupportedFeature(provider, 'input', 'Bedrock Titan embeddings take text input only, not token arrays');
  }
  return input;
}

/**
 * The InvokeModel body for one text: `{"inputText": text}`, plus `dimensions` when the request
 * asks for one (Titan Text Embeddings V2 accepts 256, 512 or 1024).
 */
export function toTitanBody(text: string, dimensions?: number): Uint8Array {
  const body: { inputText: string; dimensions?: number } = { inputText: text };
  if (dimensions !== undefined) body.dimensions = dimensions;
  return new TextEncoder().encode(JSON.stringify(body));
}

/**
 * Decodes one InvokeModel answer; a missing `inputTextTokenCount` counts as 0.
 * @throws UpstreamError `ProviderBadResponse` when the body is not a Titan embedding answer.
 */
export function parseTitanBody(body: Uint8Array | undefined, provider: string): TitanEmbedding {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body ?? new Uint8Array()));
  } catch {
    throw badResponse(provider, 'the embedding answer is not JSON');
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const { embedding, inputTextTokenCount } = parsed as { embedding?: unknown; inputTextTokenCount?: unknown };
    if (Array.isArray(embedding) && embedding.every((v): v is number => typeof v === 'number')) {
      return { embedding, inputTextTokenCount: typeof inputTextTokenCount === 'number' ? inputTextTokenCount : 0 };
    }
  }
  throw badResponse(provider, 'the embedding answer holds no embedding array');
}

/**
 * The OpenAI embeddings response for Titan answers given in input order. With
 * `encoding_format: 'base64'` (what openai-node sends by default) each vector is the base64 of
 * its little-endian float32 bytes, as OpenAI returns it; the OpenAI type still says `number[]`,
 * hence the one cast below.
 */
export function toEmbeddingResponse(
  results: readonly TitanEmbedding[],
  opts: { readonly model: string; readonly encodingFormat?: EmbeddingRequest['encoding_format'] },
): EmbeddingResponse {
  const data: OpenAI.Embedding[] = results.map((result, index) => ({
    object: 'embedding',
    index,
    embedding: opts.encodingFormat === 'base64' ? (float32Base64(result.embedding) as unknown as number[]) : result.embedding,
  }));
  const tokens = results.reduce((sum, r) => sum + r.inputTextTokenCount, 0);
  return { object: 'list', data, model: opts.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** Base64 of the vector's little-endian float32 bytes. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
