import type { Deployment, GatewayConfig, ModelRoute } from './gateway-config';

/** One upstream to try, in order. Computed before the workflow starts so workflow code stays deterministic. */
export interface RouteAttempt {
  /** The configured model name this attempt serves (the requested one or a fallback). */
  readonly model: string;
  readonly provider: string;
  readonly upstreamModel: string;
}

/**
 * Orders every deployment of `route` and then of its fallback models (depth-first, each model
 * once). Within one model, lower `priority` goes first; among equal priorities a weighted
 * random draw picks the order, so weights spread first picks across equal deployments.
 *
 * @param random source of [0, 1) numbers; injectable for tests.
 */
export function planRoute(config: GatewayConfig, route: ModelRoute, random: () => number = Math.random): RouteAttempt[] {
  const attempts: RouteAttempt[] = [];
  const seen = new Set<string>();
  const visit = (model: ModelRoute): void => {
    if (seen.has(model.name)) return;
    seen.add(model.name);
    for (const d of orderDeployments(model.deployments, random)) {
      attempts.push({ model: model.name, provider: d.provider, upstreamModel: d.upstreamModel });
    }
    for (const fallback of model.fallbacks) {
      const next = config.models.get(fallback);
      if (next) visit(next);
    }
  };
  visit(route);
  return attempts;
}

function orderDeployments(deployments: readonly Deployment[], random: () => number): Deployment[] {
  const byPriority = new Map<number, Deployment[]>();
  for (const d of deployments) {
    const group = byPriority.get(d.priority) ?? [];
    group.push(d);
    byPriority.set(d.priority, group);
  }
  return [...byPriority.keys()].sort((a, b) => a - b).flatMap((priority) => weightedShuffle(byPriority.get(priority) ?? [], random));
}

/** Weighted random order without replacement. */
function weightedShuffle(items: readonly Deployment[], random: () => number): Deployment[] {
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
