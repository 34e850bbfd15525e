/**
 * Anthropic Messages wire format: JSON messages, named SSE events and typed error bodies.
 */
import type { Reply } from './reply';
import { nextId } from './answer';
import { sendJson } from './http-io';
import { arrayOf, field, requireArray, requireRecord, stringOf } from './json-shape';
import { countPromptWords, endsWithToolResult, lastUserText } from './message-text';
import type { Answer, ChatView, EmbeddingsView, ProviderDialect, StreamPlan, UpstreamError } from './types';

const SSE = 'text/event-stream; charset=utf-8';

/** Anthropic's error type and default message for a status. */
function errorShape(error: UpstreamError): { status: number; type: string; message: string } {
  if (error.reason === 'context') {
    return {
      status: 400,
      type: 'invalid_request_error',
      message: 'prompt is too long: 250000 tokens > 200000 maximum',
    };
  }
  switch (error.status) {
    case 400:
      return { status: 400, type: 'invalid_request_error', message: 'Invalid request.' };
    case 401:
      return { status: 401, type: 'authentication_error', message: 'invalid x-api-key' };
    case 403:
      return {
        status: 403,
        type: 'permission_error',
        message: 'Your API key does not have permission to use the specified resource.',
      };
    case 404:
      return { status: 404, type: 'not_found_error', message: 'The requested resource could not be found.' };
    case 429:
      return {
        status: 429,
        type: 'rate_limit_error',
        message: 'Number of request tokens has exceeded your per-minute rate limit.',
      };
    case 503:
    case 529:
      return { status: 529, type: 'overloaded_error', message: 'Overloaded' };
    default:
      return { status: error.status, type: 'api_error', message: 'Internal server error' };
  }
}

function usageOf(answer: Answer, outputTokens: number): Record<string, number> {
  return {
    input_tokens: answer.promptTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
  };
}

function sseEvent(type: string, payload: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
}

function messageStart(model: string, answer: Answer): string {
  const message = {
    id: `msg_${nextId()}`,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: usageOf(answer, 1),
  };
  return sseEvent('message_start', { message });
}

/** The Anthropic dialect. Embeddings are not an Anthropic API, so that path answers 404. */
export const anthropicDialect: ProviderDialect = {
  provider: 'anthropic',

  sendError(res: Reply, error: UpstreamError): void {
    const shape = errorShape(error);
    const requestId = `req_${nextId()}`;
    const headers: Record<string, string> = { 'request-id': requestId };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    const body = {
      type: 'error',
      error: { type: shape.type, message: error.message ?? shape.message },
      request_id: requestId,
    };
    sendJson(res, shape.status, body, headers);
  },

  sendChat(res: Reply, view: ChatView, answer: Answer): void {
    const call = answer.toolCall;
    const content = call
      ? [
          {
            type: 'tool_use',
            id: `toolu_${call.id}`,
            name: call.name,
            input: JSON.parse(call.argumentsJson) as unknown,
          },
        ]
      : [{ type: 'text', text: answer.text ?? '' }];
    sendJson(
      res,
      200,
      {
        id: `msg_${nextId()}`,
        type: 'message',
        role: 'assistant',
        model: view.model,
        content,
        stop_reason: call ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: usageOf(answer, answer.completionTokens),
      },
      { 'request-id': `req_${nextId()}` },
    );
  },

  planStream(view: ChatView, answer: Answer): StreamPlan {
    const call = answer.toolCall;
    const block = call ? { type: 'tool_use', id: `toolu_${call.id}`, name: call.name, input: {} } : { type: 'text', text: '' };
    const frames = [messageStart(view.model, answer), sseEvent('content_block_start', { index: 0, content_block: block }), sseEvent('ping', {})];
    const deltas = call
      ? call.argumentPieces.map((piece) => sseEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: piece } }))
      : answer.textChunks.map((piece) => sseEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
    const cutIndex = frames.length + Math.min(2, deltas.length);
    frames.push(
      ...deltas,
      sseEvent('content_block_stop', { index: 0 }),
      sseEvent('message_delta', {
        delta: { stop_reason: call ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: answer.completionTokens },
      }),
      sseEvent('message_stop', {}),
    );
    return { contentType: SSE, headers: { 'request-id': `req_${nextId()}` }, frames, cutIndex };
  },

  planMalformedStream(view: ChatView): StreamPlan {
    const empty: Answer = { textChunks: [], promptTokens: 0, completionTokens: 0 };
    const frames = [messageStart(view.model, empty), 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":\n\n'];
    return { contentType: SSE, headers: { 'request-id': `req_${nextId()}` }, frames, cutIndex: frames.length };
  },

  sendEmbeddings(res: Reply, _view: EmbeddingsView): void {
    anthropicDialect.sendError(res, { status: 404 });
  },
};

/** Reads a Messages body; the system prompt counts toward prompt tokens. */
export function parseAnthropicMessages(body: unknown): ChatView {
  const request = requireRecord(body);
  const messages = requireArray(request, 'messages');
  return {
    kind: 'chat',
    model: stringOf(request.model) ?? '',
    stream: request.stream === true,
    lastUserText: lastUserText(messages),
    promptWords: countPromptWords(typeof request.system === 'string' ? { text: request.system } : request.system, messages),
    firstToolName: stringOf(field(arrayOf(request.tools)[0], 'name')),
    endsWithToolResult: endsWithToolResult(messages),
    includeUsage: false,
  };
}
