import type OpenAI from 'openai';
import type { ConverseRequest, InferenceConfiguration, Tool, ToolChoice, ToolConfiguration } from '@aws-sdk/client-bedrock-runtime';
import type { ChatRequest } from '../types';
import { maxOutputTokens, rejectOpenAIOnlyOptions, responseFormatInstruction, stopSequences, strictResponseSchema } from '../request-parts';
import { unsupportedFeature } from '../upstream-failures';
import { toDocument } from './document-value';
import { toConverseConversation } from './message-map';

/** The Converse fields this map fills; assignable to both `ConverseRequest` and `ConverseStreamRequest`. */
export type ConverseParams = Pick<ConverseRequest, 'modelId' | 'messages' | 'system' | 'inferenceConfig' | 'toolConfig' | 'outputConfig'>;

/** Names the upstream in messages shown to clients. */
const NAME = 'Bedrock';

/**
 * Maps an OpenAI chat request to a Converse / ConverseStream request.
 *
 * Behaviour choices:
 * - `max_completion_tokens` (else `max_tokens`), `temperature`, `top_p` and `stop` →
 *   `inferenceConfig`; absent fields stay absent (the model's defaults apply).
 * - `response_format`: a strict `json_schema` → `outputConfig.textFormat` (enforced); other
 *   JSON formats → an instruction appended to the system prompt (best effort).
 * - `tool_choice: 'none'`: Converse has no "none"; the tools are left out, unless the
 *   conversation already holds tool blocks (Converse then requires `toolConfig`), in which case
 *   they are sent with the default (auto) choice.
 * - `seed`, penalties, `logit_bias`, `user`, `parallel_tool_calls` are ignored.
 *
 * @throws UpstreamError `ProviderUnsupported` for `n > 1`, logprobs, audio, legacy functions,
 *   custom tools, `allowed_tools` and http(s) image URLs; `InvalidRequest` for unparsable
 *   tool-call arguments.
 */
export function toConverseParams(req: ChatRequest, opts: { readonly model: string; readonly provider: string }): ConverseParams {
  const { provider } = opts;
  rejectOpenAIOnlyOptions(req, provider, NAME);
  const conversation = toConverseConversation(req.messages, provider);

  const params: ConverseParams = { modelId: opts.model, messages: conversation.messages };
  const schema = strictResponseSchema(req.response_format);
  const instruction = schema ? undefined : responseFormatInstruction(req.response_format);
  const system = instruction ? [...conversation.system, { text: instruction }] : conversation.system;
  if (system.length > 0) params.system = system;
  if (schema && req.response_format?.type === 'json_schema') {
    const { name, description } = req.response_format.json_schema;
    params.outputConfig = {
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name, description } } },
    };
  }

  const inference = toInferenceConfig(req);
  if (inference) params.inferenceConfig = inference;
  const tools = toToolConfig(req, conversation.hasToolBlocks, provider);
  if (tools) params.toolConfig = tools;
  return params;
}

/** `inferenceConfig` from the request's limits and sampling fields; `undefined` when none is set. */
export function toInferenceConfig(req: ChatRequest): InferenceConfiguration | undefined {
  const config: InferenceConfiguration = {};
  const maxTokens = maxOutputTokens(req);
  if (maxTokens !== undefined) config.maxTokens = maxTokens;
  if (req.temperature != null) config.temperature = req.temperature;
  if (req.top_p != null) config.topP = req.top_p;
  const stop = stopSequences(req.stop);
  if (stop) config.stopSequences = stop;
  return Object.keys(config).length > 0 ? config : undefined;
}

/** `toolConfig` from `tools` and `tool_choice` (see {@link toConverseParams} for `none`). */
export function toToolConfig(req: ChatRequest, hasToolBlocks: boolean, provider: string): ToolConfiguration | undefined {
  if (!req.tools?.length) return undefined;
  if (req.tool_choice === 'none' && !hasToolBlocks) return undefined;
  const tools = req.tools.map((tool, i) => toConverseTool(tool, provider, `tools[${i}]`));
  const toolChoice = toConverseToolChoice(req.tool_choice, provider);
  return toolChoice ? { tools, toolChoice } : { tools };
}

function toConverseTool(tool: OpenAI.Chat.ChatCompletionTool, provider: string, param: string): Tool {
  if (tool.type !== 'function') {
    throw unsupportedFeature(provider, param, 'custom (free-form) tools are not supported for Bedrock');
  }
  const fn = tool.function;
  const schema = fn.parameters ?? { type: 'object', properties: {} };
  return {
    toolSpec: {
      name: fn.name,
      description: fn.description,
      inputSchema: { json: toDocument(schema) },
      ...(fn.strict === true ? { strict: true } : {}),
    },
  };
}

function toConverseToolChoice(choice: ChatRequest['tool_choice'], provider: string): ToolChoice | undefined {
  if (choice === undefined || choice === 'none') return undefined;
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  if (choice.type === 'function') return { tool: { name: choice.function.name } };
  throw unsupportedFeature(provider, 'tool_choice', `tool_choice of type ${choice.type} is not supported for Bedrock`);
}
