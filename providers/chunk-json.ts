/**
 * The JSON text a streamed chunk arrived as, for chunks passed on unchanged: an OpenAI-compatible
 * upstream's `data:` line is already the `chat.completion.chunk` the client gets, so the fast path
 * writes that text instead of serialising the parsed object again. Chunks built by the gateway
 * (Anthropic and Bedrock translations) have none and are serialised.
 */
const rawJson = new WeakMap<object, string>();

/**
 * Remembers `json` as `chunk`'s text. Only single-line text qualifies (an SSE event's data can
 * span lines, and the fast path writes one `data:` line per chunk); anything else is ignored.
 */
export function rememberChunkJson(chunk: unknown, json: string): void {
  if (typeof chunk === 'object' && chunk !== null && !json.includes('\n')) rawJson.set(chunk, json);
}

/** The chunk's JSON text: the upstream's own when remembered, else `JSON.stringify`. */
export function chunkJson(chunk: object): string {
  return rawJson.get(chunk) ?? JSON.stringify(chunk);
}
