import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { instrumentHttpServer } from './http-server-spans';
import { TRACING_WORKFLOW_MODULES, type Tracing, type TracingSettings } from './tracing';
import { TracedProviderRegistry } from './upstream-spans';

/** Name of Switchyard's own tracer (instrumentation scope). */
export const TRACER_NAME = 'switchyard';

/**
 * Builds and registers the tracer provider. Loaded only through `startTracing`, so the SDK,
 * the exporter and the Temporal interceptors stay out of a gateway that does not trace.
 */
export function createTracing(settings: TracingSettings): Tracing {
  const resource = Resource.default().merge(new Resource({ [ATTR_SERVICE_NAME]: settings.serviceName }));
  // The exporter still reads the other standard variables itself (OTEL_EXPORTER_OTLP_HEADERS,
  // _TIMEOUT, _COMPRESSION); it sends OTLP/HTTP JSON, which collectors accept on /v1/traces.
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  const interceptorOptions = { tracer };
  return {
    tracer,
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor(interceptorOptions)] },
    workerOptions: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, interceptorOptions),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
        workflowModules: [...TRACING_WORKFLOW_MODULES],
      },
      // Workflow spans are built inside the sandbox and handed out through this sink.
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    providerRegistry: (config, opts) => new TracedProviderRegistry(config, tracer, opts),
    instrumentServer: (server) => instrumentHttpServer(server, tracer),
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
