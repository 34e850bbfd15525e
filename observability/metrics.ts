import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144];

/**
 * The gateway's Prometheus metrics. Label values are bounded: `model` is a configured model
 * name (or `none`), `provider` a configured provider id, `route` a route template, never a
 * request id or key. `tenant` is a tenant id (never a key id), and appears only on the token
 * and cost counters: their series grow with tenants × models, which is what a usage dashboard
 * needs and stays in the thousands for hundreds of tenants. GenAI names follow the
 * OpenTelemetry semantic conventions (`gen_ai_client_token_usage`,
 * `gen_ai_client_operation_duration_seconds`, `gen_ai_server_time_to_first_token_seconds`,
 * with attribute-style labels); see docs/observability.md for the full list.
 */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'switchyard_http_requests_total',
      help: 'HTTP requests answered, by route, model, provider and status.',
      labelNames: ['route', 'model', 'provider', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request latency until the last byte, by route, model, provider and status.',
      labelNames: ['route', 'model', 'provider', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'switchyard_errors_total',
      help: 'Error answers, by route, model, provider, status and error type.',
      labelNames: ['route', 'model', 'provider', 'status', 'type'] as const,
      registers: [registry],
    }),
    tokenUsage: new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens per request (OpenTelemetry GenAI), by token type, model, provider and operation.',
      labelNames: ['gen_ai_token_type', 'gen_ai_request_model', 'gen_ai_provider_name', 'gen_ai_operation_name'] as const,
      buckets: TOKEN_BUCKETS,
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'GenAI operation duration (OpenTelemetry GenAI), by operation, model and provider.',
      labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Streaming: time from request arrival to the first chunk sent (OpenTelemetry GenAI), by operation, model and provider.',
      labelNames: ['gen_ai_operation_name', 'gen_ai_request_model', 'gen_ai_provider_name'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    upstreamAttempts: new Counter({
      name: 'switchyard_upstream_attempts_total',
      help: 'Calls to upstream providers (each retry counts), by provider, model and outcome.',
      labelNames: ['provider', 'model', 'outcome'] as const,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'switchyard_upstream_duration_seconds',
      help: 'Duration of one upstream call, by provider and model.',
      labelNames: ['provider', 'model'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    workflowStart: new Histogram({
      name: 'switchyard_workflow_start_seconds',
      help: 'Time to start a request workflow (the start RPC), by workflow kind.',
      labelNames: ['kind'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    durableAnswers: new Counter({
      name: 'switchyard_durable_answers_total',
      help: "Durable requests answered, by how the answer arrived: early (handed over by this process's worker as the workflow completed) or result (read back from the server).",
      labelNames: ['kind', 'via'] as const,
      registers: [registry],
    }),
    upstreamRetries: new Counter({
      name: 'switchyard_upstream_retries_total',
      help: 'Upstream calls that were retries of the same deployment (attempt 2 and later), by provider and model.',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'switchyard_fallbacks_total',
      help: 'Deployments given up on before the one that answered, by configured model and request path (durable, stream).',
      labelNames: ['model', 'path'] as const,
      registers: [registry],
    }),
    budgetRejections: new Counter({
      name: 'switchyard_budget_rejections_total',
      help: 'Requests refused with 429 budget_exceeded before anything went upstream, by route and model.',
      labelNames: ['route', 'model'] as const,
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'switchyard_rate_limit_rejections_total',
      help: 'Requests refused with 429 rate_limit_exceeded, by route, limit scope (key, tenant) and measure (requests, tokens).',
      labelNames: ['route', 'scope', 'measure'] as const,
      registers: [registry],
    }),
    tenantTokens: new Counter({
      name: 'switchyard_tokens_total',
      help: 'Tokens used, by token type (input, output), configured model and tenant id.',
      labelNames: ['gen_ai_token_type', 'gen_ai_request_model', 'tenant'] as const,
      registers: [registry],
    }),
    cost: new Counter({
      name: 'switchyard_cost_usd_total',
      help: 'USD charged (the settled cost; 0 for unpriced models), by configured model, provider and tenant id.',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name', 'tenant'] as const,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'switchyard_circuit_state',
      help: 'Circuit breaker state per deployment as this process sees it: 0 closed, 1 half-open, 2 open.',
      labelNames: ['deployment'] as const,
      registers: [registry],
    }),
    circuitTransitions: new Counter({
      name: 'switchyard_circuit_transitions_total',
      help: 'Circuit breaker transitions this process wrote (failures, probes, health checks, admin), by deployment, target state and reason.',
      labelNames: ['deployment', 'to', 'reason'] as const,
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
