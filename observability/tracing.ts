import type { Server } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { GatewayConfig } from '../config/gateway-config';
import type { ProviderRegistry } from '../providers/registry';

/**
 * OpenTelemetry tracing: off unless an OTLP endpoint is configured. When on, one trace per
 * HTTP request runs from the Express server span (continuing the client's W3C `traceparent`)
 * through the workflow start, the workflow and its activities (Temporal's OpenTelemetry
 * interceptors carry the context in workflow and activity headers) to a client span around
 * each upstream provider call, on the durable path and on the streaming fast path alike.
 *
 * When off nothing is installed: no tracer provider, no context manager, no interceptors, no
 * workflow interceptor modules in the bundle; the OpenTelemetry SDK is not even loaded.
 */

/** Where spans go. Read from the standard OpenTelemetry variables by {@link tracingSettingsFromEnv}. */
export interface TracingSettings {
  /** Full OTLP/HTTP traces URL, e.g. `http://collector:4318/v1/traces`. */
  readonly tracesUrl: string;
  /** `service.name` of every span (default `switchyard`). */
  readonly serviceName: string;
}

/** The variables {@link tracingSettingsFromEnv} reads (all from the OpenTelemetry specification). */
export interface TracingEnv {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  readonly OTEL_SERVICE_NAME?: string;
}

/**
 * Tracing settings, or undefined (tracing off) when neither endpoint variable is set.
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as it is; `OTEL_EXPORTER_OTLP_ENDPOINT` is a base
 * URL to which `/v1/traces` is appended, as the specification says.
 */
export function tracingSettingsFromEnv(env: TracingEnv): TracingSettings | undefined {
  const serviceName = env.OTEL_SERVICE_NAME || 'switchyard';
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return { tracesUrl: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, serviceName };
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return { tracesUrl: `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`, serviceName };
  return undefined;
}

/** A started tracer provider and the pieces each part of the gateway plugs in. */
export interface Tracing {
  /** Switchyard's own tracer (server and upstream spans). */
  readonly tracer: Tracer;
  /** For the Temporal `Client`: a span per workflow start, its context sent in the workflow headers. */
  readonly clientInterceptors: ClientInterceptors;
  /**
   * For `Worker.create`: the activity interceptors, the workflow interceptor module (bundled when
   * the worker bundles at start; a prebuilt bundle must include {@link TRACING_WORKFLOW_MODULES})
   * and the sink through which workflow spans leave the sandbox.
   */
  readonly workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** The provider registry whose adapter calls run in upstream CLIENT spans. */
  providerRegistry(config: GatewayConfig, opts?: ConstructorParameters<typeof ProviderRegistry>[1]): ProviderRegistry;
  /** Wraps the server's request listeners so each request runs in its own server span. */
  instrumentServer(server: Server): void;
  /** Exports the spans buffered so far. */
  flush(): Promise<void>;
  /** Flushes, stops the exporter and uninstalls the global tracer provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

/**
 * The workflow interceptor modules to bundle when tracing is on (`bundleWorkflowCode({
 * workflowInterceptorModules })`). Resolving a path loads nothing.
 */
export const TRACING_WORKFLOW_MODULES: readonly string[] = Object.freeze([require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')]);

/**
 * Starts tracing: registers a global Node tracer provider (AsyncLocalStorage context, W3C
 * trace-context and baggage propagation) exporting over OTLP/HTTP with a batch processor. The
 * SDK modules are loaded here, so a gateway without tracing never loads them.
 */
export async function startTracing(settings: TracingSettings): Promise<Tracing> {
  const { createTracing } = await import('./tracing-sdk');
  return createTracing(settings);
}
