import { DefaultLogger, MetricsBuffer, Runtime, type LogLevel, type Logger as TemporalLogger } from '@temporalio/worker';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Temporal worker's own metrics (the Rust core's: task slots, poll and schedule-to-start
 * latencies, sticky cache, workflow and activity outcomes, client RPCs) on the gateway's
 * `/metrics`, next to its prom-client metrics, rather than on a second port.
 *
 * SDK 1.24 can export core metrics to Prometheus on its own port, to an OTLP collector, or into
 * a `MetricsBuffer` that the process drains. We use the buffer: `installTemporalRuntime()`
 * configures it once per process, and each gateway's `TemporalMetricsBridge` drains it every
 * second (and at each scrape) into prom-client counters, gauges and histograms named as the core
 * would name them (`temporal_` + its name; durations in seconds).
 */

/** Name prefix of the core's metrics (the core's own default). */
export const TEMPORAL_METRIC_PREFIX = 'temporal_';

/**
 * Tags kept as labels. All are bounded by the deployment (namespace, task queues, workflow and
 * activity types, poller and worker kinds, RPC operation names, failure reasons, status codes);
 * anything else the core adds is dropped, so a new tag cannot blow up cardinality.
 */
const KEPT_TAGS = [
  'namespace',
  'task_queue',
  'workflow_type',
  'activity_type',
  'worker_type',
  'poller_type',
  'operation',
  'status_code',
  'failure_reason',
  'eager',
] as const;

/** Seconds; the core measures durations from sub-millisecond polls to minute-long activities. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Histograms of counts or sizes (not durations). */
const COUNT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 1000];

/**
 * Installs the process's Temporal runtime with core metrics buffered for the gateway's
 * `/metrics`. Call once per process, before any Temporal connection.
 *
 * @param logLevel the core's and SDK's log threshold (default WARN).
 */
export function installTemporalRuntime(logLevel: LogLevel = 'WARN', logger: TemporalLogger = new DefaultLogger(logLevel)): Runtime {
  return Runtime.install({
    logger,
    telemetryOptions: {
      metrics: {
        metricPrefix: TEMPORAL_METRIC_PREFIX,
        buffer: new MetricsBuffer({ maxBufferSize: 100_000, useSecondsForDurations: true }),
      },
    },
  });
}

type PromMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Copies the runtime's buffered core metrics into prom-client registries. One bridge per
 * buffer (i.e. per process); several gateways in one process (tests) each attach their registry.
 */
export class TemporalMetricsBridge {
  private static readonly bridges = new WeakMap<MetricsBuffer, TemporalMetricsBridge>();
  private readonly targets = new Map<Registry, Map<string, PromMetric>>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly buffer: MetricsBuffer) {}

  /** The bridge of the installed runtime's buffer, or undefined when metrics are not buffered. */
  static forRuntime(runtime: Runtime = Runtime.instance()): TemporalMetricsBridge | undefined {
    const buffer = runtime.metricsBuffer;
    if (!buffer) return undefined;
    let bridge = TemporalMetricsBridge.bridges.get(buffer);
    if (!bridge) {
      bridge = new TemporalMetricsBridge(buffer);
      TemporalMetricsBridge.bridges.set(buffer, bridge);
    }
    return bridge;
  }

  /**
   * Feeds `registry` from now on (and drains at each of its scrapes). Returns the detach
   * function; the drain timer stops with the last registry.
   */
  attach(registry: Registry): () => void {
    this.targets.set(registry, new Map());
    // Drained right before each scrape too (before the registry lists its metrics, so a core
    // metric seen for the first time is in this scrape), not only every second.
    const scrape = registry.metrics.bind(registry);
    registry.metrics = () => {
      this.drain();
      return scrape();
    };
    if (!this.timer) {
      this.timer = setInterval(() => this.drain(), 1_000);
      this.timer.unref();
    }
    return () => {
      registry.metrics = scrape;
      this.targets.delete(registry);
      if (this.targets.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Applies every buffered update to every attached registry. */
  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) {
      const { metric, value } = update;
      const labels: Record<string, string> = {};
      for (const tag of KEPT_TAGS) {
        const v = update.attributes[tag];
        if (v !== undefined) labels[tag] = String(v);
      }
      for (const metrics of this.targets.values()) {
        const target = metrics.get(metric.name) ?? this.create(metrics, metric);
        if (target instanceof Histogram) target.observe(labels, value);
        else if (target instanceof Counter) target.inc(labels, value);
        else if (metric.kind === 'gauge') target.set(labels, value);
        else target.inc(labels, value);
      }
    }
  }

  private create(metrics: Map<string, PromMetric>, metric: { name: string; kind: string; unit?: string; description?: string }): PromMetric {
    const registry = [...this.targets.entries()].find(([, m]) => m === metrics)![0];
    const name = metric.name.startsWith(TEMPORAL_METRIC_PREFIX) ? metric.name : `${TEMPORAL_METRIC_PREFIX}${metric.name}`;
    const common = { name, help: metric.description || `Temporal core metric ${name}.`, labelNames: KEPT_TAGS, registers: [registry] };
    let created: PromMetric;
    if (metric.kind === 'counter') created = new Counter(common);
    else if (metric.kind === 'histogram') created = new Histogram({ ...common, buckets: isDuration(metric.unit) ? DURATION_BUCKETS : COUNT_BUCKETS });
    else created = new Gauge(common);
    metrics.set(metric.name, created);
    return created;
  }
}

function isDuration(unit: string | undefined): boolean {
  return unit === 's' || unit === 'ms' || unit === 'duration' || unit === 'seconds';
}
