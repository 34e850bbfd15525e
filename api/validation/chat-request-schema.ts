import { z } from 'zod';

/**
 * OpenAI chat completion request, validated as far as the gateway relies on it. Unknown
 * top-level fields pass through to OpenAI-compatible upstreams (so a newer client's new
 * parameter is not refused), but every field listed here has its documented type.
 */
const textPart = z.object({ type: z.literal('text'), text: z.string() }).loose();
const imagePart = z
  .object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }).loose(),
  })
  .loose();
const audioPart = z.object({ type: z.literal('input_audio'), input_audio: z.object({ data: z.string(), format: z.string() }) }).loose();
const filePart = z.object({ type: z.literal('file'), file: z.object({}).loose() }).loose();
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() }).loose();

const userContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart])).min(1)]);
const textContent = z.union([z.string(), z.array(textPart).min(1)]);

const toolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1), arguments: z.string() }),
  })
  .loose();

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContent, name: z.string().optional() }).loose(),
  z.object({ role: z.literal('developer'), content: textContent, name: z.string().optional() }).loose(),
  z.object({ role: z.literal('user'), content: userContent, name: z.string().optional() }).loose(),
  z
    .object({
      role: z.literal('assistant'),
      content: z.union([z.string(), z.array(z.union([textPart, refusalPart])), z.null()]).optional(),
      tool_calls: z.array(toolCall).optional(),
      name: z.string().optional(),
      refusal: z.string().nullable().optional(),
    })
    .loose(),
  z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) }).loose(),
  z.object({ role: z.literal('function'), content: z.string().nullable(), name: z.string() }).loose(),
]);

const tool = z
  .object({
    type: z.literal('function'),
    function: z
      .object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .loose(),
  })
  .loose();

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }).loose(),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }).loose(),
  z.object({ type: z.literal('json_object') }).loose(),
  z
    .object({
      type: z.literal('json_schema'),
      json_schema: z
        .object({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullable().optional() })
        .loose(),
    })
    .loose(),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
    tools: z.array(tool).optional(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: responseFormat.optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(4)])
      .nullable()
      .optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    seed: z.number().int().nullable().optional(),
    user: z.string().optional(),
    n: z.number().int().min(1).max(128).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
  })
  .loose()
  // OpenAI refuses stream options on a request that does not stream (null counts as absent).
  .refine((body) => body.stream_options === undefined || body.stream_options === null || body.stream === true, {
    message: "the parameter is only allowed when 'stream' is enabled",
    path: ['stream_options'],
  });

export const embeddingRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([
      z.string(),
      z.array(z.string()).min(1).max(2048),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1).max(2048),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .loose();
