import type { GatewayConfig } from '../config/gateway-config';
import { HttpError } from '../api/http-error';
import { chatRequestSchema, embeddingRequestSchema } from '../api/validation/chat-request-schema';
import { validateBody } from '../api/validation/validate';
import type { ChatRequest, EmbeddingRequest } from '../providers/types';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../api/validation/json-depth';

/** The endpoints a batch line may call. */
export const BatchEndpoint = { Chat: '/v1/chat/completions', Embeddings: '/v1/embeddings' } as const;
export type BatchEndpoint = (typeof BatchEndpoint)[keyof typeof BatchEndpoint];

const ENDPOINTS: readonly string[] = Object.values(BatchEndpoint);

/** Longest accepted `custom_id`, in characters. */
export const MAX_CUSTOM_ID_LENGTH = 512;

/** A parsed, valid input line. */
export type ParsedLine =
  | { readonly customId: string; readonly url: typeof BatchEndpoint.Chat; readonly body: ChatRequest }
  | { readonly customId: string; readonly url: typeof BatchEndpoint.Embeddings; readonly body: EmbeddingRequest };

/** Thrown for an invalid line; `reason` says what is wrong, without the line number. */
export class InputLineError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'InputLineError';
  }
}

/**
 * Parses and checks one line of a batch input file: at most `maxBodyBytes` UTF-8 bytes (the
 * request body limit of the synchronous endpoints, `limits.max_body_bytes`), JSON object,
 * `custom_id` a non-empty string, `method` POST, `url` one of the batch endpoints, and `body`
 * valid under the same zod schema as the synchronous endpoint (no `stream`), naming a configured
 * model of the right type. Uniqueness of `custom_id` is the caller's check (it spans lines).
 *
 * @throws InputLineError naming the first problem.
 */
export function parseInputLine(text: string, config: Pick<GatewayConfig, 'models' | 'maxBodyBytes'>): ParsedLine {
  // Measured before parsing: a line carries one request, which the synchronous endpoints would
  // refuse (413) over this size. The whole line counts, wrapper included, so every body fits.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > config.maxBodyBytes) {
    throw new InputLineError(`the line is ${bytes} bytes; a request may be at most ${config.maxBodyBytes} bytes (limits.max_body_bytes)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InputLineError('the line is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputLineError('the line must be a JSON object');
  if (jsonDepthExceeds(value)) throw new InputLineError(`the line is nested more than ${MAX_JSON_DEPTH} levels deep`);
  const line = value as Record<string, unknown>;
  const customId = line.custom_id;
  if (typeof customId !== 'string' || customId === '') throw new InputLineError("'custom_id' must be a non-empty string");
  if (customId.length > MAX_CUSTOM_ID_LENGTH) throw new InputLineError(`'custom_id' is longer than ${MAX_CUSTOM_ID_LENGTH} characters`);
  if (line.method !== 'POST') throw new InputLineError('\'method\' must be "POST"');
  if (typeof line.url !== 'string' || !ENDPOINTS.includes(line.url)) throw new InputLineError(`'url' must be one of ${ENDPOINTS.join(', ')}`);
  const url = line.url as BatchEndpoint;
  const body = bodyOf(line.body, url);
  const route = config.models.get(body.model);
  if (!route) throw new InputLineError(`body.model: the model \`${body.model}\` does not exist`);
  const wanted = url === BatchEndpoint.Chat ? 'chat' : 'embedding';
  if (route.type !== wanted) throw new InputLineError(`body.model: \`${body.model}\` is not a ${wanted} model`);
  return url === BatchEndpoint.Chat ? { customId, url, body: body as ChatRequest } : { customId, url, body: body as EmbeddingRequest };
}

function bodyOf(body: unknown, url: BatchEndpoint): ChatRequest | EmbeddingRequest {
  try {
    if (url === BatchEndpoint.Chat) {
      const chat = validateBody(chatRequestSchema, body) as ChatRequest;
      if (chat.stream) throw new InputLineError('body.stream: streaming is not available in a batch');
      return chat;
    }
    return validateBody(embeddingRequestSchema, body) as EmbeddingRequest;
  } catch (err) {
    if (err instanceof HttpError) throw new InputLineError(`body: ${err.message}`);
    throw err;
  }
}
