import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import type { CircuitBreakers } from '../circuit/circuit-breakers';
import { CallOutcome, outcomeOfFailure } from '../circuit/outcome';
import type { GatewayConfig, ModelRoute } from '../config/gateway-config';
import { UpstreamError } from '../errors/upstream-error';
import type { ProviderRegistry } from '../providers/registry';

export interface HealthCheckDeps {
  readonly config: GatewayConfig;
  readonly providers: ProviderRegistry;
  readonly circuits: CircuitBreakers;
}

/** One deployment's check, as the workflow returns it (and the Temporal UI shows it). */
export interface HealthCheckResult {
  readonly deployment: string;
  readonly outcome: CallOutcome;
  /** The failure type when the check failed. */
  readonly failure?: string;
  readonly latencyMs: number;
}

export type HealthCheckActivities = ReturnType<typeof createHealthCheckActivities>;

/** The text of a check: no user data, one output token. */
const PING = 'ping';

/**
 * The activity behind the health-check Schedule: one cheap call to every configured deployment
 * of this worker's config, at once, fed into the shared circuit state like any request's outcome
 * (and written through before it returns). A chat deployment gets a one-token chat completion, an
 * embedding deployment a one-word embedding: every provider type has both and no cheaper call
 * common to all (Bedrock's runtime API has no model list). Checks are not charged to any budget.
 * A worker whose config has `health_checks.enabled: false` checks nothing.
 */
export function createHealthCheckActivities(deps: HealthCheckDeps) {
  return {
    async checkDeploymentHealth(): Promise<HealthCheckResult[]> {
      if (!deps.config.healthChecks.enabled) return [];
      const signal = Context.current().cancellationSignal;
      // Every deployment's check listens on it at once: more than 10 deployments is normal, not
      // the listener leak Node warns about past 10.
      setMaxListeners(Infinity, signal);
      const targets = new Map<string, { route: ModelRoute; provider: string; upstreamModel: string }>();
      for (const route of deps.config.models.values()) {
        for (const d of route.deployments) if (!targets.has(d.id)) targets.set(d.id, { route, provider: d.provider, upstreamModel: d.upstreamModel });
      }
      const results = await Promise.all(
        [...targets].map(async ([deployment, t]): Promise<HealthCheckResult> => {
          const started = performance.now();
          const ctx = { upstreamModel: t.upstreamModel, signal, firstByteTimeoutMs: deps.config.healthChecks.timeoutMs };
          try {
            const adapter = deps.providers.get(t.provider);
            if (t.route.type === 'embedding') await adapter.embed({ model: t.route.name, input: PING }, ctx);
            else await adapter.chat({ model: t.route.name, messages: [{ role: 'user', content: PING }], max_tokens: 1 }, ctx);
            return { deployment, outcome: CallOutcome.Success, latencyMs: Math.round(performance.now() - started) };
          } catch (err) {
            const failure = err instanceof UpstreamError ? err.failureType : 'ProviderServerError';
            return {
              deployment,
              outcome: outcomeOfFailure(failure, deps.circuits.settingsFor(deployment)),
              failure,
              latencyMs: Math.round(performance.now() - started),
            };
          }
        }),
      );
      for (const r of results) deps.circuits.record(r.deployment, r.outcome, 'health_check');
      await deps.circuits.sync();
      return results;
    },
  };
}
