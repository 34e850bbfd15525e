import { ConfigError, parseConfig } from '../../../config/load-config';
import { DEFAULT_CIRCUIT_SETTINGS } from '../../../circuit/settings';

const providers = { a: { type: 'openai' }, b: { type: 'openai', connect_timeout_ms: 2000 } };

describe('resilience config', () => {
  it('has defaults: weighted balancing, breakers on, health checks every minute', () => {
    const config = parseConfig({ providers, models: { m: { deployments: [{ provider: 'a', model: 'x' }] } } }, {});
    expect(config.models.get('m')!.strategy).toBe('weighted');
    expect(config.circuits).toEqual({ defaults: DEFAULT_CIRCUIT_SETTINGS, byDeployment: new Map(), syncIntervalMs: 250 });
    expect(config.healthChecks).toEqual({ enabled: true, intervalSeconds: 60, timeoutMs: 10_000 });
  });

  it('merges global and per-deployment circuit settings, strategies and timeouts', () => {
    const config = parseConfig(
      {
        providers,
        circuit_breaker: { min_failures: 10, sync_interval_ms: 100 },
        health_checks: { enabled: false },
        models: {
          m: {
            strategy: 'lowest_latency',
            deployments: [
              { provider: 'a', model: 'x', circuit_breaker: { open_ms: 1000 }, timeouts: { first_byte_ms: 500, total_ms: 2000 } },
              { provider: 'b', model: 'x' },
            ],
          },
        },
      },
      {},
    );
    expect(config.circuits.defaults.minFailures).toBe(10);
    expect(config.circuits.syncIntervalMs).toBe(100);
    expect(config.circuits.byDeployment.get('a/x')).toMatchObject({ minFailures: 10, openMs: 1000 });
    expect(config.models.get('m')!.deployments[0]!.timeouts).toEqual({ firstByteMs: 500, totalMs: 2000 });
    expect(config.providers.get('b')!.connectTimeoutMs).toBe(2000);
    expect(config.healthChecks.enabled).toBe(false);
  });

  it('refuses unknown strategies, bad rates and conflicting overrides of one deployment', () => {
    const bad =
      (models: unknown, extra: Record<string, unknown> = {}) =>
      () =>
        parseConfig({ providers, models, ...extra }, {});
    expect(bad({ m: { strategy: 'fastest', deployments: [{ provider: 'a', model: 'x' }] } })).toThrow(/strategy/);
    expect(bad({ m: { deployments: [{ provider: 'a', model: 'x' }] } }, { circuit_breaker: { failure_rate: 2 } })).toThrow(/failure_rate/);
    expect(
      bad({
        m: { deployments: [{ provider: 'a', model: 'x', circuit_breaker: { open_ms: 1000 } }] },
        n: { deployments: [{ provider: 'a', model: 'x', circuit_breaker: { open_ms: 2000 } }] },
      }),
    ).toThrow(ConfigError);
  });
});
