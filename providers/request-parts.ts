import type { ChatRequest } from './types';
import { invalidRequest, unsupportedFeature } from './upstream-failures';

/**
 * Pieces of an OpenAI chat request that every non-OpenAI request map needs in the same form:
 * text extraction, data: URLs, tool-call arguments, stop sequences, and the response_format
 * fallback instruction. Kept here so the Anthropic and Bedrock maps agree on edge cases.
 */

type ResponseFormat = NonNullable<ChatRequest['response_format']>;

/** A text-ish content part: `text` parts, and the assistant's `refusal` parts. */
interface TextLikePart {
  readonly type: string;
  readonly text?: string;
  readonly refusal?: string;
}

/** Joins the text of a message whose content may only hold text (or refusal) parts. */
export function joinTextParts(content: string | readonly TextLikePart[] | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? part.refusal ?? '').join('');
}

/** A decoded `data:` URL. */
export interface DataUrl {
  /** Lower-cased media type, e.g. `image/png`; `image/jpg` is normalised to `image/jpeg`. */
  readonly mediaType: string;
  /** The payload, still base64-encoded. */
  readonly base64: string;
}

/** Parses `data:<media type>;base64,<payload>`; `undefined` for anything else. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/is.exec(url.trim());
  if (!match) return undefined;
  const mediaType = match[1].toLowerCase();
  return { mediaType: mediaType === 'image/jpg' ? 'image/jpeg' : mediaType, base64: match[3] };
}

/** True for `http:` and `https:` URLs. */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url.trim());
}

/**
 * Parses a tool call's JSON `arguments` into the object both Anthropic and Bedrock require.
 * An empty string is `{}` (some clients send it for argument-less tools).
 *
 * @throws UpstreamError `InvalidRequest` naming `param` when the arguments are not a JSON object.
 */
export function parseToolArguments(args: string, provider: string, param: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw invalidRequest(provider, param, 'tool call arguments are not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest(provider, param, 'tool call arguments must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** `stop` as a list of sequences; `undefined` when absent or empty. */
export function stopSequences(stop: ChatRequest['stop']): string[] | undefined {
  if (stop == null) return undefined;
  const list = typeof stop === 'string' ? [stop] : [...stop];
  return list.length > 0 ? list : undefined;
}

/** `max_completion_tokens`, else the legacy `max_tokens`; `undefined` when neither is set. */
export function maxOutputTokens(req: ChatRequest): number | undefined {
  return req.max_completion_tokens ?? req.max_tokens ?? undefined;
}

/**
 * Rejects the request options no non-OpenAI provider can honour without changing the
 * response's shape: `n > 1`, `logprobs`/`top_logprobs`, and audio output.
 *
 * @throws UpstreamError `ProviderUnsupported` with `param` set to the offending field.
 */
export function rejectOpenAIOnlyOptions(req: ChatRequest, provider: string, providerName: string): void {
  if (req.n != null && req.n > 1) {
    throw unsupportedFeature(provider, 'n', `${providerName} returns one choice per request; n > 1 is not supported`);
  }
  if (req.logprobs === true || (req.top_logprobs != null && req.top_logprobs > 0)) {
    throw unsupportedFeature(provider, 'logprobs', `${providerName} does not return log probabilities`);
  }
  if (req.modalities?.includes('audio') || req.audio != null) {
    throw unsupportedFeature(provider, 'modalities', `${providerName} does not produce audio output`);
  }
  if (req.functions?.length) {
    throw unsupportedFeature(provider, 'functions', `the deprecated functions parameter is not supported for ${providerName}; use tools`);
  }
}

/**
 * The system-prompt instruction standing in for `response_format` where the provider has no
 * equivalent (or the schema is not strict): `undefined` for `text` / absent.
 */
export function responseFormatInstruction(format: ResponseFormat | null | undefined): string | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    return 'Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.';
  }
  const { name, description, schema } = format.json_schema;
  const lines = [
    'Respond with a single JSON value that conforms to the JSON schema below, and nothing else: no prose, no Markdown code fences.',
    `Schema name: ${name}`,
  ];
  if (description) lines.push(`Schema description: ${description}`);
  lines.push(JSON.stringify(schema ?? {}));
  return lines.join('\n');
}

/** The JSON schema of a `json_schema` response format with `strict: true`, else `undefined`. */
export function strictResponseSchema(format: ResponseFormat | null | undefined): Record<string, unknown> | undefined {
  if (format?.type !== 'json_schema' || format.json_schema.strict !== true) return undefined;
  return format.json_schema.schema ?? undefined;
}
