import { SpanKind, SpanStatusCode, context, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { GatewayConfig } from '../config/gateway-config';
import { UpstreamError } from '../errors/upstream-error';
import { ProviderRegistry } from '../providers/registry';
import type { ChatCompletionChunk, ProviderAdapter, ProviderKind, ProviderSettings, Usage } from '../providers/types';

/*
 * GenAI semantic-convention attribute names (still "development" in the specification, so not
 * exported by the stable semantic-conventions entry point). Never the prompt or the answer.
 */
const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
const GEN_AI_SYSTEM = 'gen_ai.system';
const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** The configured provider id (`oai`, `anthropic-eu`), which `gen_ai.system` does not tell apart. */
export const ATTR_SWITCHYARD_PROVIDER = 'switchyard.provider';

const GEN_AI_SYSTEM_OF: Record<ProviderKind, string> = {
  openai: 'openai',
  azure: 'az.ai.openai',
  anthropic: 'anthropic',
  bedrock: 'aws.bedrock',
};

/**
 * The provider registry with every adapter call wrapped in a CLIENT span named
 * `<operation> <upstream model>` (`chat gpt-4o-mini`), a child of whatever span is active: the
 * activity's on the durable path, the HTTP request's on the fast path. A stream's span lasts
 * until the stream ends. Used only when tracing is on; otherwise the plain registry is used.
 */
export class TracedProviderRegistry extends ProviderRegistry {
  private readonly traced = new WeakMap<ProviderAdapter, ProviderAdapter>();

  constructor(
    config: GatewayConfig,
    private readonly tracer: Tracer,
    opts: ConstructorParameters<typeof ProviderRegistry>[1] = {},
  ) {
    super(config, opts);
  }

  override get(providerId: string): ProviderAdapter {
    const adapter = super.get(providerId);
    let wrapped = this.traced.get(adapter);
    if (!wrapped) {
      wrapped = tracedAdapter(adapter, this.tracer);
      this.traced.set(adapter, wrapped);
    }
    return wrapped;
  }
}

/** Wraps one adapter's calls in upstream spans. */
export function tracedAdapter(adapter: ProviderAdapter, tracer: Tracer): ProviderAdapter {
  const { settings } = adapter;
  return {
    settings,
    chat: (req, ctx) =>
      inSpan(tracer, settings, 'chat', ctx.upstreamModel, async (span) => {
        const completion = await adapter.chat(req, ctx);
        recordResponse(span, completion.model, completion.usage);
        return completion;
      }),
    embed: (req, ctx) =>
      inSpan(tracer, settings, 'embeddings', ctx.upstreamModel, async (span) => {
        const response = await adapter.embed(req, ctx);
        recordResponse(span, response.model, { prompt_tokens: response.usage?.prompt_tokens });
        return response;
      }),
    chatStream: (req, ctx) => tracedStream(tracer, settings, ctx.upstreamModel, () => adapter.chatStream(req, ctx)),
  };
}

async function inSpan<T>(tracer: Tracer, settings: ProviderSettings, operation: string, model: string, run: (span: Span) => Promise<T>): Promise<T> {
  const span = startUpstreamSpan(tracer, settings, operation, model);
  try {
    return await context.with(trace.setSpan(context.active(), span), () => run(span));
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** The span starts at the first `next()` (when the upstream request is made) and ends with the stream. */
async function* tracedStream(
  tracer: Tracer,
  settings: ProviderSettings,
  model: string,
  open: () => AsyncIterable<ChatCompletionChunk>,
): AsyncGenerator<ChatCompletionChunk> {
  const span = startUpstreamSpan(tracer, settings, 'chat', model);
  try {
    for await (const chunk of context.with(trace.setSpan(context.active(), span), open)) {
      if (chunk.usage) recordResponse(span, chunk.model, chunk.usage);
      yield chunk;
    }
  } catch (err) {
    recordFailure(span, err);
    throw err;
  } finally {
    span.end();
  }
}

function startUpstreamSpan(tracer: Tracer, settings: ProviderSettings, operation: string, model: string): Span {
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: operation,
    [GEN_AI_SYSTEM]: GEN_AI_SYSTEM_OF[settings.kind],
    [GEN_AI_REQUEST_MODEL]: model,
    [ATTR_SWITCHYARD_PROVIDER]: settings.id,
    ...serverOf(settings.baseURL),
  };
  return tracer.startSpan(`${operation} ${model}`, { kind: SpanKind.CLIENT, attributes });
}

function recordResponse(span: Span, model: string | undefined, usage: Partial<Pick<Usage, 'prompt_tokens' | 'completion_tokens'>> | null | undefined): void {
  if (model) span.setAttribute(GEN_AI_RESPONSE_MODEL, model);
  if (usage?.prompt_tokens !== undefined) span.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, usage.prompt_tokens);
  if (usage?.completion_tokens !== undefined) span.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, usage.completion_tokens);
}

/** `error.type` is the failure type (`ProviderRateLimited`, …); the message is the upstream's, never a prompt. */
function recordFailure(span: Span, err: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, err instanceof UpstreamError ? err.failureType : err instanceof Error ? err.name : 'unknown');
  if (err instanceof UpstreamError && err.status !== undefined) span.setAttribute('http.response.status_code', err.status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

function serverOf(baseURL: string | undefined): Attributes {
  if (!baseURL) return {};
  try {
    const url = new URL(baseURL);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: port };
  } catch {
    return {};
  }
}
