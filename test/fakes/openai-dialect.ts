/**
 * OpenAI Chat Completions and Embeddings wire format, also spoken on Azure's deployment paths.
 */
import type { Reply } from './reply';
import { embeddingFor, nextId } from './answer';
import { sendJson } from './http-io';
import { arrayOf, field, requireArray, requireRecord, stringOf } from './json-shape';
import { countPromptWords, countWords, endsWithToolResult, lastUserText } from './message-text';
import type { Answer, ChatView, EmbeddingsView, ProviderDialect, ProviderName, StreamPlan, UpstreamError } from './types';

interface OpenAiErrorShape {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const SSE = 'text/event-stream; charset=utf-8';
const CONTEXT_ERROR: OpenAiErrorShape = {
  message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 250000 tokens. Please reduce the length of the messages.",
  type: 'invalid_request_error',
  param: 'messages',
  code: 'context_length_exceeded',
};

/** OpenAI's error bodies by status, as the API sends them. */
const ERRORS: Readonly<Record<number, OpenAiErrorShape>> = {
  400: { message: 'Invalid request.', type: 'invalid_request_error', param: null, code: null },
  401: {
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  },
  403: {
    message: 'You are not allowed to sample from this model.',
    type: 'invalid_request_error',
    param: null,
    code: null,
  },
  404: {
    message: 'The model does not exist or you do not have access to it.',
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  },
  429: { message: 'Rate limit reached for requests.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    param: null,
    code: null,
  },
};

const SERVER_ERROR: OpenAiErrorShape = {
  message: 'The server had an error while processing your request. Sorry about that!',
  type: 'server_error',
  param: null,
  code: null,
};

/**
 * The key as OpenAI quotes it in a 401 ("sk-abc1****…wxyz"): its first and last characters (up to
 * 4 each, a third of the key at most) around stars.
 */
export function maskedKey(key: string): string {
  const keep = Math.min(4, Math.floor(key.length / 3));
  return `${key.slice(0, keep)}${'*'.repeat(Math.max(4, key.length - 2 * keep))}${key.slice(key.length - keep)}`;
}

/** OpenAI's error body for a status; 529 reads as 503, anything unknown as a server error. */
function errorShape(error: UpstreamError): OpenAiErrorShape {
  if (error.reason === 'context') return CONTEXT_ERROR;
  if (error.status === 401 && error.presentedKey !== undefined) {
    return {
      ...ERRORS[401]!,
      message: `Incorrect API key provided: ${maskedKey(error.presentedKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    };
  }
  return ERRORS[error.status === 529 ? 503 : error.status] ?? SERVER_ERROR;
}

function usageOf(answer: Answer): Record<string, unknown> {
  return {
    prompt_tokens: answer.promptTokens,
    completion_tokens: answer.completionTokens,
    total_tokens: answer.promptTokens + answer.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** Builds the OpenAI dialect for `provider` ('openai' or 'azure', which differ only in name). */
export function createOpenAiDialect(provider: Extract<ProviderName, 'openai' | 'azure'>): ProviderDialect {
  const requestHeaders = (): Record<string, string> => ({ 'x-request-id': `req_${nextId()}` });

  return {
    provider,

    sendError(res: Reply, error: UpstreamError): void {
      const shape = errorShape(error);
      const headers: Record<string, string> = requestHeaders();
      if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
      sendJson(res, error.status, { error: { ...shape, message: error.message ?? shape.message } }, headers);
    },

    sendChat(res: Reply, view: ChatView, answer: Answer): void {
      const call = answer.toolCall;
      const message = call
        ? {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [{ id: `call_${call.id}`, type: 'function', function: { name: call.name, arguments: call.argumentsJson } }],
          }
        : { role: 'assistant', content: answer.text ?? '', refusal: null, annotations: [] };
      sendJson(
        res,
        200,
        {
          id: `chatcmpl-${nextId()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: view.model,
          choices: [{ index: 0, message, logprobs: null, finish_reason: call ? 'tool_calls' : 'stop' }],
          usage: usageOf(answer),
          service_tier: 'default',
          system_fingerprint: null,
        },
        requestHeaders(),
      );
    },

    planStream(view: ChatView, answer: Answer): StreamPlan {
      const base = {
        id: `chatcmpl-${nextId()}`,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: view.model,
        service_tier: 'default',
        system_fingerprint: null,
      };
      const usageField = view.includeUsage ? { usage: null } : {};
      const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
        sseData({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...usageField });
      const call = answer.toolCall;
      const frames: string[] = [];
      let contentFrames: string[];
      if (call) {
        frames.push(
          chunk({
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, id: `call_${call.id}`, type: 'function', function: { name: call.name, arguments: '' } }],
            refusal: null,
          }),
        );
        contentFrames = call.argumentPieces.map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
      } else {
        frames.push(chunk({ role: 'assistant', content: '', refusal: null }));
        contentFrames = answer.textChunks.map((piece) => chunk({ content: piece }));
      }
      const cutIndex = frames.length + Math.min(2, contentFrames.length);
      frames.push(...contentFrames, chunk({}, call ? 'tool_calls' : 'stop'));
      if (view.includeUsage) frames.push(sseData({ ...base, choices: [], usage: usageOf(answer) }));
      frames.push('data: [DONE]\n\n');
      return { contentType: SSE, headers: requestHeaders(), frames, cutIndex };
    },

    planMalformedStream(view: ChatView): StreamPlan {
      const start = sseData({
        id: `chatcmpl-${nextId()}`,
        object: 'chat.completion.chunk',
        created: 0,
        model: view.model,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      });
      return {
        contentType: SSE,
        headers: requestHeaders(),
        frames: [start, 'data: {"id":"chatcmpl-broken","choices":[{"delta":\n\n', 'data: [DONE]\n\n'],
        cutIndex: 2,
      };
    },

    sendEmbeddings(res: Reply, view: EmbeddingsView): void {
      const data = view.inputs.map((input, index) => {
        const vector = embeddingFor(input, view.dimensions);
        const embedding = view.base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
        return { object: 'embedding', index, embedding };
      });
      const tokens = view.inputs.reduce((sum, input) => sum + countWords(input), 0);
      sendJson(res, 200, { object: 'list', data, model: view.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }, requestHeaders());
    },
  };
}

/** Reads a Chat Completions body; `pathModel` is the Azure deployment when on Azure's path. */
export function parseOpenAiChat(body: unknown, pathModel?: string): ChatView {
  const request = requireRecord(body);
  const messages = requireArray(request, 'messages');
  return {
    kind: 'chat',
    model: pathModel ?? stringOf(request.model) ?? '',
    stream: request.stream === true,
    lastUserText: lastUserText(messages),
    promptWords: countPromptWords(messages),
    firstToolName: stringOf(field(field(arrayOf(request.tools)[0], 'function'), 'name')),
    endsWithToolResult: endsWithToolResult(messages),
    includeUsage: field(request.stream_options, 'include_usage') === true,
  };
}

/** Reads an Embeddings body; token-array inputs are read as their numbers joined by spaces. */
export function parseOpenAiEmbeddings(body: unknown, pathModel?: string): EmbeddingsView {
  const request = requireRecord(body);
  const raw = Array.isArray(request.input) && typeof request.input[0] !== 'number' ? request.input : [request.input];
  const inputs = raw.map((input) => (Array.isArray(input) ? input.join(' ') : String(input ?? '')));
  const dimensions = typeof request.dimensions === 'number' ? request.dimensions : undefined;
  return {
    kind: 'embeddings',
    model: pathModel ?? stringOf(request.model) ?? '',
    stream: false,
    inputs,
    lastUserText: inputs[inputs.length - 1] ?? '',
    dimensions,
    base64: request.encoding_format === 'base64',
  };
}
