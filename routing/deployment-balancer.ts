import { BalancingStrategy, type Deployment, type ModelRoute } from '../config/gateway-config';
import { weightedShuffle, type OrderDeployments } from '../config/route-plan';
import type { DeploymentStats } from './deployment-stats';

/**
 * Orders the deployments of one priority group by the model's `strategy`:
 *
 * - `weighted`: weighted random order (each request draws; `weight` sets the share of first picks);
 * - `round_robin`: the first pick rotates per model and priority group, in config order; weights are ignored;
 * - `least_busy`: fewest calls in flight in this process first; ties in weighted random order;
 * - `lowest_latency`: lowest decaying average latency first; unmeasured (or stale) deployments
 *   first of all, so each gets measured and a recovered one wins traffic back.
 *
 * Every strategy returns the whole group, so the other deployments stay in the plan as
 * failover targets in that order.
 */
export function createDeploymentBalancer(stats: DeploymentStats): OrderDeployments {
  const turns = new Map<string, number>();
  return function orderByStrategy(model: ModelRoute, group: readonly Deployment[], random: () => number): Deployment[] {
    switch (model.strategy) {
      case BalancingStrategy.RoundRobin: {
        const key = `${model.name}\u0000${group[0]?.priority ?? 0}`;
        const turn = turns.get(key) ?? 0;
        turns.set(key, (turn + 1) % group.length);
        return [...group.slice(turn), ...group.slice(0, turn)];
      }
      case BalancingStrategy.LeastBusy:
        return stableSortBy(weightedShuffle(group, random), (d) => stats.busy(d.id));
      case BalancingStrategy.LowestLatency:
        return stableSortBy(weightedShuffle(group, random), (d) => stats.latencyMs(d.id) ?? -1);
      default:
        return weightedShuffle(group, random);
    }
  };
}

function stableSortBy<T>(items: readonly T[], key: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, k: key(item) }))
    .sort((a, b) => a.k - b.k || a.index - b.index)
    .map((x) => x.item);
}
