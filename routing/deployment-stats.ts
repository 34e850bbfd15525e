/**
 * Per-process load figures of each deployment for the balancer: calls in flight and an
 * exponentially decaying average of recent latencies. Updated by the provider activities and
 * the streaming fast path of this process; never shared between processes.
 */
export class DeploymentStats {
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new Map<string, { ewmaMs: number; at: number }>();

  /**
   * @param alpha weight of the newest sample in the average (default 0.3).
   * @param staleMs a latency older than this no longer counts (default 30 s): the deployment is
   *   unmeasured again and gets a request to re-measure it, so one that recovered wins traffic back.
   */
  constructor(
    private readonly alpha = 0.3,
    private readonly staleMs = 30_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A call to `deployment` started; call the returned function once when it ends. */
  begin(deployment: string): () => void {
    this.inFlight.set(deployment, (this.inFlight.get(deployment) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight.set(deployment, Math.max(0, (this.inFlight.get(deployment) ?? 1) - 1));
    };
  }

  /** Calls in flight to `deployment` in this process. */
  busy(deployment: string): number {
    return this.inFlight.get(deployment) ?? 0;
  }

  /** Records how long the upstream took to answer (a stream: its first chunk), ms. */
  observeLatency(deployment: string, ms: number): void {
    const now = this.clock();
    const previous = this.latency.get(deployment);
    const ewmaMs = previous && now - previous.at <= this.staleMs ? previous.ewmaMs + this.alpha * (ms - previous.ewmaMs) : ms;
    this.latency.set(deployment, { ewmaMs, at: now });
  }

  /** The decaying average latency, ms; undefined when unmeasured or stale. */
  latencyMs(deployment: string): number | undefined {
    const sample = this.latency.get(deployment);
    if (!sample || this.clock() - sample.at > this.staleMs) return undefined;
    return sample.ewmaMs;
  }
}
