/**
 * Bedrock runtime wire format: Converse JSON, ConverseStream event-stream frames, Titan
 * embeddings via InvokeModel, and REST-JSON errors named by the `x-amzn-errortype` header.
 */
import { randomUUID } from 'node:crypto';
import type { Reply } from './reply';
import { embeddingFor } from './answer';
import { EVENT_STREAM_CONTENT_TYPE, encodeEvent, encodeRawEvent } from './bedrock-event-stream';
import { sendJson } from './http-io';
import { BadRequestBody, arrayOf, field, requireArray, requireRecord, stringOf } from './json-shape';
import { countPromptWords, countWords, endsWithToolResult, lastUserText } from './message-text';
import type { Answer, ChatView, EmbeddingsView, ProviderDialect, StreamPlan, UpstreamError } from './types';

/** Namespace suffix real Bedrock puts after the error name; the SDK strips it. */
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

/** The modeled exception, its status and message for a nominal status. */
function errorShape(error: UpstreamError): { status: number; name: string; message: string } {
  if (error.reason === 'context') return { status: 400, name: 'ValidationException', message: 'Input is too long for requested model.' };
  // What AWS answers for an unknown access key; not modeled, so the SDK builds the base exception.
  if (error.reason === 'bad-key')
    return {
      status: 403,
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  switch (error.status) {
    case 400:
      return {
        status: 400,
        name: 'ValidationException',
        message: 'Malformed input request, please reformat your input and try again.',
      };
    case 401:
    case 403:
      return {
        status: 403,
        name: 'AccessDeniedException',
        message: "You don't have access to the model with the specified model ID.",
      };
    case 404:
      return {
        status: 404,
        name: 'ResourceNotFoundException',
        message: 'Could not resolve the foundation model from the provided model identifier.',
      };
    case 429:
      return {
        status: 429,
        name: 'ThrottlingException',
        message: 'Too many requests, please wait before trying again.',
      };
    case 503:
    case 529:
      return {
        status: 503,
        name: 'ServiceUnavailableException',
        message: 'Bedrock is unable to process your request.',
      };
    default:
      return {
        status: 500,
        name: 'InternalServerException',
        message: 'The system encountered an unexpected error during processing. Try your request again.',
      };
  }
}

function usageOf(answer: Answer): Record<string, number> {
  return {
    inputTokens: answer.promptTokens,
    outputTokens: answer.completionTokens,
    totalTokens: answer.promptTokens + answer.completionTokens,
  };
}

function requestHeaders(): Record<string, string> {
  return { 'x-amzn-requestid': randomUUID() };
}

/** The Bedrock runtime dialect. */
export const bedrockDialect: ProviderDialect = {
  provider: 'bedrock',

  sendError(res: Reply, error: UpstreamError): void {
    const shape = errorShape(error);
    const headers: Record<string, string> = {
      ...requestHeaders(),
      'x-amzn-errortype': `${shape.name}${ERROR_TYPE_SUFFIX}`,
    };
    if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
    sendJson(res, shape.status, { message: error.message ?? shape.message }, headers);
  },

  sendChat(res: Reply, _view: ChatView, answer: Answer): void {
    const call = answer.toolCall;
    const content = call
      ? [
          {
            toolUse: {
              toolUseId: `tooluse_${call.id}`,
              name: call.name,
              input: JSON.parse(call.argumentsJson) as unknown,
            },
          },
        ]
      : [{ text: answer.text ?? '' }];
    sendJson(
      res,
      200,
      {
        output: { message: { role: 'assistant', content } },
        stopReason: call ? 'tool_use' : 'end_turn',
        usage: usageOf(answer),
        metrics: { latencyMs: 0 },
      },
      requestHeaders(),
    );
  },

  planStream(_view: ChatView, answer: Answer): StreamPlan {
    const call = answer.toolCall;
    const frames: Uint8Array[] = [encodeEvent('messageStart', { role: 'assistant' })];
    // Bedrock opens only tool-use blocks explicitly; text blocks start with their first delta.
    if (call)
      frames.push(
        encodeEvent('contentBlockStart', {
          contentBlockIndex: 0,
          start: { toolUse: { toolUseId: `tooluse_${call.id}`, name: call.name } },
        }),
      );
    const deltas = call
      ? call.argumentPieces.map((input) => encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input } } }))
      : answer.textChunks.map((text) => encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }));
    const cutIndex = frames.length + Math.min(2, deltas.length);
    frames.push(
      ...deltas,
      encodeEvent('contentBlockStop', { contentBlockIndex: 0 }),
      encodeEvent('messageStop', { stopReason: call ? 'tool_use' : 'end_turn' }),
      encodeEvent('metadata', { usage: usageOf(answer), metrics: { latencyMs: 0 } }),
    );
    return { contentType: EVENT_STREAM_CONTENT_TYPE, headers: requestHeaders(), frames, cutIndex };
  },

  planMalformedStream(): StreamPlan {
    const frames = [encodeEvent('messageStart', { role: 'assistant' }), encodeRawEvent('contentBlockDelta', '{"contentBlockIndex":0,"delta":{"te')];
    return { contentType: EVENT_STREAM_CONTENT_TYPE, headers: requestHeaders(), frames, cutIndex: frames.length };
  },

  sendEmbeddings(res: Reply, view: EmbeddingsView): void {
    const input = view.inputs[0] ?? '';
    sendJson(res, 200, { embedding: embeddingFor(input, view.dimensions), inputTextTokenCount: countWords(input) }, requestHeaders());
  },
};

/** Reads a Converse or ConverseStream body; model and streaming come from the path. */
export function parseConverse(body: unknown, modelId: string, stream: boolean): ChatView {
  const request = requireRecord(body);
  const messages = requireArray(request, 'messages');
  return {
    kind: 'chat',
    model: modelId,
    stream,
    lastUserText: lastUserText(messages),
    promptWords: countPromptWords(request.system, messages),
    firstToolName: stringOf(field(field(arrayOf(field(request.toolConfig, 'tools'))[0], 'toolSpec'), 'name')),
    endsWithToolResult: endsWithToolResult(messages),
    includeUsage: false,
  };
}

/** Reads an Amazon Titan text-embeddings InvokeModel body (`{"inputText", "dimensions"?}`). */
export function parseTitanEmbeddings(body: unknown, modelId: string): EmbeddingsView {
  const request = requireRecord(body);
  const inputText = stringOf(request.inputText);
  if (inputText === undefined) throw new BadRequestBody('Malformed input request: required key [inputText] not found');
  return {
    kind: 'embeddings',
    model: modelId,
    stream: false,
    inputs: [inputText],
    lastUserText: inputText,
    dimensions: typeof request.dimensions === 'number' ? request.dimensions : undefined,
    base64: false,
  };
}
