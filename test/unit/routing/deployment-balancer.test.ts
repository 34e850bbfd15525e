import { parseConfig } from '../../../config/load-config';
import { planRoute } from '../../../config/route-plan';
import { createDeploymentBalancer } from '../../../routing/deployment-balancer';
import { DeploymentStats } from '../../../routing/deployment-stats';

function configWith(strategy: string) {
  return parseConfig(
    {
      providers: { a: { type: 'openai' }, b: { type: 'openai' }, c: { type: 'openai' } },
      models: {
        m: {
          strategy,
          deployments: [
            { provider: 'a', model: 'x', weight: 1 },
            { provider: 'b', model: 'x', weight: 2 },
            { provider: 'c', model: 'x', weight: 7 },
          ],
        },
      },
    },
    {},
  );
}

/** A seeded generator, so the weight test is reproducible. */
function seeded(seed = 42): () => number {
  let s = seed;
  return () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
}

function firstPicks(strategy: string, n: number, stats = new DeploymentStats()): Record<string, number> {
  const config = configWith(strategy);
  const order = createDeploymentBalancer(stats);
  const random = seeded();
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  for (let i = 0; i < n; i++) {
    const plan = planRoute(config, config.models.get('m')!, random, order);
    expect(plan).toHaveLength(3);
    counts[plan[0]!.provider]! += 1;
  }
  return counts;
}

describe('deployment balancer', () => {
  it('weighted: first picks follow the weights within a few percent over 1,000 picks', () => {
    const counts = firstPicks('weighted', 1_000);
    expect(Math.abs(counts.a! / 1_000 - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(counts.b! / 1_000 - 0.2)).toBeLessThan(0.03);
    expect(Math.abs(counts.c! / 1_000 - 0.7)).toBeLessThan(0.03);
  });

  it('round robin: rotates the first pick evenly, keeping every deployment as failover', () => {
    const config = configWith('round_robin');
    const order = createDeploymentBalancer(new DeploymentStats());
    const plans = Array.from({ length: 4 }, () =>
      planRoute(config, config.models.get('m')!, Math.random, order)
        .map((a) => a.provider)
        .join(''),
    );
    expect(plans).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('least busy: the deployment with the fewest calls in flight goes first', () => {
    const stats = new DeploymentStats();
    stats.begin('a/x');
    stats.begin('c/x');
    const end = stats.begin('c/x');
    expect(firstPicks('least_busy', 50, stats)).toEqual({ a: 0, b: 50, c: 0 });
    end();
    stats.begin('b/x');
    stats.begin('b/x');
    const counts = firstPicks('least_busy', 50, stats);
    expect(counts.b).toBe(0);
    expect(counts.a! + counts.c!).toBe(50);
  });

  it('lowest latency: fastest first, unmeasured first of all, and a stale figure is measured again', () => {
    let now = 0;
    const stats = new DeploymentStats(0.3, 30_000, () => now);
    stats.observeLatency('a/x', 50);
    stats.observeLatency('b/x', 10);
    expect(firstPicks('lowest_latency', 20, stats)).toEqual({ a: 0, b: 0, c: 20 });
    stats.observeLatency('c/x', 400);
    expect(firstPicks('lowest_latency', 20, stats)).toEqual({ a: 0, b: 20, c: 0 });
    // b slows down: its decaying average passes a's after a few slow samples.
    for (let i = 0; i < 5; i++) stats.observeLatency('b/x', 200);
    expect(stats.latencyMs('b/x')).toBeGreaterThan(50);
    expect(firstPicks('lowest_latency', 20, stats)).toEqual({ a: 20, b: 0, c: 0 });
    now = 31_000;
    stats.observeLatency('a/x', 50);
    stats.observeLatency('b/x', 10);
    expect(firstPicks('lowest_latency', 20, stats)).toEqual({ a: 0, b: 0, c: 20 });
  });
});
