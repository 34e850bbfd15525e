import { parseConfig } from '../../../config/load-config';
import { planRoute } from '../../../config/route-plan';

const config = parseConfig(
  {
    providers: { p1: { type: 'openai' }, p2: { type: 'openai' }, p3: { type: 'anthropic' } },
    models: {
      main: {
        deployments: [
          { provider: 'p1', model: 'm1', weight: 1 },
          { provider: 'p2', model: 'm2', weight: 3 },
          { provider: 'p3', model: 'm3', priority: 1 },
        ],
        fallbacks: ['backup', 'other'],
      },
      backup: { deployments: [{ provider: 'p3', model: 'b1' }], fallbacks: ['main'] },
      other: { deployments: [{ provider: 'p1', model: 'o1' }] },
    },
  },
  {},
);

describe('planRoute', () => {
  it('orders by priority, then the fallbacks depth-first, each model once', () => {
    const plan = planRoute(config, config.models.get('main')!, () => 0);
    expect(plan.map((a) => `${a.model}:${a.provider}/${a.upstreamModel}`)).toEqual(['main:p1/m1', 'main:p2/m2', 'main:p3/m3', 'backup:p3/b1', 'other:p1/o1']);
  });

  it('uses weights to pick the first among equal priorities', () => {
    const firsts = { p1: 0, p2: 0 } as Record<string, number>;
    let seed = 1;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (let i = 0; i < 4000; i++) firsts[planRoute(config, config.models.get('main')!, random)[0]!.provider]!++;
    expect(firsts.p2! / 4000).toBeGreaterThan(0.7);
    expect(firsts.p2! / 4000).toBeLessThan(0.8);
    // The lower-priority deployment is never first.
    expect(firsts.p1! + firsts.p2!).toBe(4000);
  });
});
