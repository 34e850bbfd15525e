import { APIError } from 'openai';
import { rememberChunkJson } from '../chunk-json';
import { SseDecoder, type SseEvent } from '../sse-decoder';
import type { ChatCompletionChunk } from '../types';

/**
 * Turns the bytes of a Chat Completions SSE body into the `ChatCompletionChunk`s the SDK's
 * `Stream` would yield, with the SDK's rules: each event's data is one JSON chunk, passed on
 * unvalidated; `[DONE]` ends the stream (later events are ignored, the body is still read to
 * its end so the connection can be reused); an `error` object in the data (OpenAI sends it as
 * `data: {"error":…}`, some servers under `event: error`) becomes the same status-less
 * `APIError` the SDK throws, so `classifyOpenAIError` treats it exactly as before.
 *
 * Failure modes: iterating `decode` throws that `APIError`, or a `SyntaxError` for data that is
 * not JSON (classified as a bad response). Instances are single-use: one per upstream stream.
 */
export class OpenAIStreamDecoder {
  private readonly sse = new SseDecoder();
  private done = false;

  /** @param headers the response headers, attached to a mid-stream `APIError` as the SDK does. */
  constructor(private readonly headers: Headers) {}

  /**
   * The chunks completed by the next body bytes (often none, sometimes several), produced one at
   * a time so that an error event throws only after the chunks before it were taken.
   */
  *decode(bytes: Uint8Array): Generator<ChatCompletionChunk, void, undefined> {
    const events = this.sse.decode(bytes);
    for (const event of events) {
      if (this.done) return;
      if (event.data.startsWith('[DONE]')) this.done = true;
      else yield this.toChunk(event);
    }
  }

  private toChunk(event: SseEvent): ChatCompletionChunk {
    const data: unknown = JSON.parse(event.data);
    const error = (data as { error?: unknown } | null)?.error ?? (event.event === 'error' ? data : undefined);
    if (error) throw new APIError(undefined, typeof error === 'object' ? error : { message: String(error) }, undefined, this.headers);
    // Passed on unchanged, so the fast path can write the upstream's own text.
    rememberChunkJson(data, event.data);
    return data as ChatCompletionChunk;
  }
}
