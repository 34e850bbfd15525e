import { getMaxListeners } from 'node:events';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHealthCheckActivities, type HealthCheckResult } from '../../../activities/health-check-activities';
import { CircuitBreakers } from '../../../circuit/circuit-breakers';
import { CallOutcome } from '../../../circuit/outcome';
import { MemoryCircuitStore } from '../../../circuit/store';
import { parseConfig } from '../../../config/load-config';
import { ProviderRegistry } from '../../../providers/registry';
import { startFakeUpstream, type FakeUpstream } from '../../fakes';

const DEPLOYMENTS = 12;

describe('checkDeploymentHealth', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('checks every deployment at once through the real SDK, and more than 10 of them share the cancellation signal without a leak warning', async () => {
    const models = Object.fromEntries(Array.from({ length: DEPLOYMENTS }, (_, i) => [`hc-${i}`, { deployments: [{ provider: 'up', model: `m-hc-${i}` }] }]));
    const config = parseConfig(
      {
        providers: { up: { type: 'openai', base_url: `${fake.url}/v1`, api_key_env: 'FAKE_KEY' } },
        models,
        health_checks: { enabled: true, interval_seconds: 60 },
      },
      { FAKE_KEY: 'sk-fake' },
    );
    const circuits = new CircuitBreakers({ store: new MemoryCircuitStore(), config: config.circuits });
    const activities = createHealthCheckActivities({ config, providers: new ProviderRegistry(config), circuits });
    const env = new MockActivityEnvironment();

    const results: HealthCheckResult[] = await env.run(activities.checkDeploymentHealth);

    expect(results).toHaveLength(DEPLOYMENTS);
    expect(results.every((r) => r.outcome === CallOutcome.Success)).toBe(true);
    expect(new Set(results.map((r) => r.deployment)).size).toBe(DEPLOYMENTS);
    // Node warns "possible EventTarget memory leak" past the limit (10 by default).
    expect(getMaxListeners(env.context.cancellationSignal)).toBe(Infinity);
  });
});
