import type OpenAI from 'openai';
import type { MessageCreateParamsBase, Tool, ToolChoice } from '@anthropic-ai/sdk/resources/messages';
import type { ChatRequest } from '../types';
import { maxOutputTokens, rejectOpenAIOnlyOptions, responseFormatInstruction, stopSequences, strictResponseSchema } from '../request-parts';
import { unsupportedFeature } from '../upstream-failures';
import { toAnthropicConversation } from './message-map';

/** Anthropic requires `max_tokens`; used when the request sets neither max field. */
export const DEFAULT_MAX_TOKENS = 4096;

/** A Messages API request without `stream`; the adapter adds `stream: false | true`. */
export type AnthropicRequest = Omit<MessageCreateParamsBase, 'stream'>;

/** Names the upstream in messages shown to clients. */
const NAME = 'Anthropic';

/**
 * Maps an OpenAI chat request to an Anthropic Messages API request.
 *
 * Behaviour choices:
 * - `temperature` and `top_p` are dropped: the installed SDK (1.x) speaks API version
 *   2026-10-21, which removed sampling parameters and answers 400 to any request carrying them
 *   (even at default values). `seed`, penalties, `logit_bias`, `store`, `service_tier`,
 *   `reasoning_effort` and `prediction` are ignored likewise.
 * - `response_format`: a `json_schema` with `strict: true` maps to Anthropic structured
 *   outputs (`output_config.format`), which enforce the schema; `json_object` and non-strict
 *   schemas become an instruction appended to the system prompt (best effort, not enforced),
 *   because Anthropic's structured outputs reject schemas that OpenAI accepts when not strict.
 * - `max_tokens`: `max_completion_tokens`, else `max_tokens`, else {@link DEFAULT_MAX_TOKENS}.
 * - `user` (else `safety_identifier`) → `metadata.user_id`.
 * - `parallel_tool_calls: false` → `disable_parallel_tool_use` on the tool choice.
 *
 * @throws UpstreamError `ProviderUnsupported` for `n > 1`, logprobs, audio, legacy functions,
 *   custom tools and `allowed_tools`; `InvalidRequest` for unparsable tool-call arguments.
 */
export function toAnthropicRequest(req: ChatRequest, opts: { readonly model: string; readonly provider: string }): AnthropicRequest {
  const { provider } = opts;
  rejectOpenAIOnlyOptions(req, provider, NAME);
  const conversation = toAnthropicConversation(req.messages, provider);

  const schema = strictResponseSchema(req.response_format);
  const instruction = schema ? undefined : responseFormatInstruction(req.response_format);
  const system = [conversation.system, instruction].filter((s): s is string => !!s).join('\n\n');

  const params: AnthropicRequest = {
    model: opts.model,
    max_tokens: maxOutputTokens(req) ?? DEFAULT_MAX_TOKENS,
    messages: conversation.messages,
  };
  if (system) params.system = system;
  const stop = stopSequences(req.stop);
  if (stop) params.stop_sequences = stop;
  const userId = req.user ?? req.safety_identifier;
  if (userId) params.metadata = { user_id: userId };
  if (schema) params.output_config = { format: { type: 'json_schema', schema } };

  if (req.tools?.length) {
    params.tools = req.tools.map((tool, i) => toAnthropicTool(tool, provider, `tools[${i}]`));
    const choice = toAnthropicToolChoice(req.tool_choice, req.parallel_tool_calls, provider);
    if (choice) params.tool_choice = choice;
  }
  return params;
}

/** An OpenAI function tool as an Anthropic custom tool; `parameters` becomes `input_schema`. */
export function toAnthropicTool(tool: OpenAI.Chat.ChatCompletionTool, provider: string, param: string): Tool {
  if (tool.type !== 'function') {
    throw unsupportedFeature(provider, param, 'custom (free-form) tools are not supported for Anthropic');
  }
  const fn = tool.function;
  const result: Tool = {
    name: fn.name,
    input_schema: { ...fn.parameters, type: 'object' },
  };
  if (fn.description) result.description = fn.description;
  if (fn.strict === true) result.strict = true;
  return result;
}

/**
 * `auto` → auto, `none` → none, `required` → any, a named function → tool. Absent stays
 * absent (Anthropic's default is auto) unless parallel tool calls must be switched off.
 */
export function toAnthropicToolChoice(choice: ChatRequest['tool_choice'], parallelToolCalls: boolean | undefined, provider: string): ToolChoice | undefined {
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) {
    return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined;
  }
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disableParallel };
  if (choice === 'required') return { type: 'any', ...disableParallel };
  if (choice.type === 'function') return { type: 'tool', name: choice.function.name, ...disableParallel };
  throw unsupportedFeature(provider, 'tool_choice', `tool_choice of type ${choice.type} is not supported for Anthropic`);
}
