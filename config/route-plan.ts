import type { Deployment, DeploymentTimeouts, GatewayConfig, ModelRoute } from './gateway-config';

/** One upstream to try, in order. Computed before the workflow starts so workflow code stays deterministic. */
export interface RouteAttempt {
  /** The configured model name this attempt serves (the requested one or a fallback). */
  readonly model: string;
  readonly provider: string;
  readonly upstreamModel: string;
  /** The deployment's own timeouts; absent when it has none (the provider's `timeout_ms` applies). */
  readonly timeouts?: DeploymentTimeouts;
}

/**
 * Orders the deployments of one priority group of a model. The default is a weighted random
 * order; `routing/deployment-balancer.ts` implements every configured strategy.
 */
export type OrderDeployments = (model: ModelRoute, group: readonly Deployment[], random: () => number) => Deployment[];

/** A deployment's id, `provider/upstreamModel`: the key of its circuit breaker and balancer stats. */
export function deploymentId(provider: string, upstreamModel: string): string {
  return `${provider}/${upstreamModel}`;
}

/**
 * Orders every deployment of `route` and then of its fallback models (depth-first, each model
 * once). Within one model, lower `priority` goes first; among equal priorities `order` decides
 * (by default a weighted random draw, so weights spread first picks across equal deployments).
 *
 * @param random source of [0, 1) numbers; injectable for tests.
 * @param order the balancing strategy; default weighted random whatever the model's `strategy`.
 */
export function planRoute(
  config: GatewayConfig,
  route: ModelRoute,
  random: () => number = Math.random,
  order: OrderDeployments = (_model, group, rnd) => weightedShuffle(group, rnd),
): RouteAttempt[] {
  const attempts: RouteAttempt[] = [];
  const seen = new Set<string>();
  const visit = (model: ModelRoute): void => {
    if (seen.has(model.name)) return;
    seen.add(model.name);
    for (const d of orderDeployments(model, random, order)) {
      const attempt = { model: model.name, provider: d.provider, upstreamModel: d.upstreamModel };
      const timed = d.timeouts?.firstByteMs !== undefined || d.timeouts?.totalMs !== undefined;
      attempts.push(timed ? { ...attempt, timeouts: d.timeouts } : attempt);
    }
    for (const fallback of model.fallbacks) {
      const next = config.models.get(fallback);
      if (next) visit(next);
    }
  };
  visit(route);
  return attempts;
}

function orderDeployments(model: ModelRoute, random: () => number, order: OrderDeployments): Deployment[] {
  const byPriority = new Map<number, Deployment[]>();
  for (const d of model.deployments) {
    const group = byPriority.get(d.priority) ?? [];
    group.push(d);
    byPriority.set(d.priority, group);
  }
  return [...byPriority.keys()]
    .sort((a, b) => a - b)
    .flatMap((priority) => {
      const group = byPriority.get(priority) ?? [];
      return group.length > 1 ? order(model, group, random) : group;
    });
}

/** Weighted random order without replacement. */
export function weightedShuffle(items: readonly Deployment[], random: () => number): Deployment[] {
  const pool = [...items];
  const out: Deployment[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, d) => sum + d.weight, 0);
    let pick = random() * total;
    let index = 0;
    while (index < pool.length - 1 && pick >= pool[index]!.weight) {
      pick -= pool[index]!.weight;
      index++;
    }
    out.push(pool.splice(index, 1)[0]!);
  }
  return out;
}
