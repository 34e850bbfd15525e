import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../../config/load-config';

const base = {
  providers: { openai: { type: 'openai' }, claude: { type: 'anthropic', api_key_env: 'MY_ANTHROPIC' }, aws: { type: 'bedrock' } },
  models: {
    a: { deployments: [{ provider: 'openai', model: 'gpt-4o-mini' }], fallbacks: ['b'] },
    b: {
      deployments: [
        { provider: 'claude', model: 'claude-x', weight: 2 },
        { provider: 'aws', model: 'y', priority: 1 },
      ],
    },
    e: { type: 'embedding', deployments: [{ provider: 'openai', model: 'text-embedding-3-small' }] },
  },
};

function expectConfigError(raw: unknown, fragment: string): void {
  expect(() => parseConfig(raw, {})).toThrow(ConfigError);
  expect(() => parseConfig(raw, {})).toThrow(fragment);
}

describe('config', () => {
  it('resolves providers from the standard variables and per-entry overrides', () => {
    const config = parseConfig(base, { OPENAI_API_KEY: 'k1', OPENAI_BASE_URL: 'http://o.local/v1', MY_ANTHROPIC: 'k2', AWS_REGION: 'eu-west-1' });
    expect(config.providers.get('openai')).toMatchObject({ kind: 'openai', apiKey: 'k1', baseURL: 'http://o.local/v1', timeoutMs: 60_000 });
    expect(config.providers.get('claude')).toMatchObject({ kind: 'anthropic', apiKey: 'k2', baseURL: undefined });
    expect(config.providers.get('aws')).toMatchObject({ kind: 'bedrock', region: 'eu-west-1', apiKey: undefined });
    expect(config.models.get('b')!.deployments).toEqual([
      { provider: 'claude', upstreamModel: 'claude-x', weight: 2, priority: 0, id: 'claude/claude-x', timeouts: {} },
      { provider: 'aws', upstreamModel: 'y', weight: 1, priority: 1, id: 'aws/y', timeouts: {} },
    ]);
    expect(config.retry).toEqual({ maxAttempts: 3, initialIntervalMs: 500, backoffCoefficient: 2, maxIntervalMs: 10_000 });
    expect(config.durableAttempts).toBe('local_activity');
    expect(parseConfig({ ...base, durable: { attempts: 'activity' } }, {}).durableAttempts).toBe('activity');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the bad field', () => {
    expectConfigError({ ...base, providers: { openai: { type: 'gemini' } } }, 'providers.openai.type');
    expectConfigError(
      { ...base, models: { a: { deployments: [{ provider: 'nope', model: 'x' }] } } },
      'models.a.deployments.0.provider: unknown provider "nope"',
    );
    expectConfigError({ ...base, models: { a: { deployments: [] } } }, 'models.a.deployments');
    expectConfigError(
      { ...base, models: { ...base.models, a: { deployments: [{ provider: 'openai', model: 'x' }], fallbacks: ['zzz'] } } },
      'models.a.fallbacks.0: unknown model "zzz"',
    );
    expectConfigError(
      { ...base, models: { ...base.models, a: { deployments: [{ provider: 'openai', model: 'x' }], fallbacks: ['e'] } } },
      'is a embedding model',
    );
    expectConfigError({ ...base, retry: { max_attempts: 0 } }, 'retry.max_attempts');
    expectConfigError({ ...base, durable: { attempts: 'local' } }, 'durable.attempts');
    expectConfigError({ ...base, extra: 1 }, 'extra');
    expectConfigError({ ...base, providers: { openai: { type: 'openai', base_url: 'not a url' } } }, 'providers.openai.base_url');
  });

  it('reads YAML files and reports unreadable or invalid ones', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-config-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'providers:\n  o: { type: openai }\nmodels:\n  m:\n    deployments: [{ provider: o, model: gpt }]\n');
    expect(loadConfigFile(good, {}).models.get('m')!.deployments[0]!.upstreamModel).toBe('gpt');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'providers: [\n');
    expect(() => loadConfigFile(bad, {})).toThrow(/not valid YAML/);
    expect(() => loadConfigFile(path.join(dir, 'missing.yaml'), {})).toThrow(/cannot read config file/);
  });

  it('the committed example config is valid', () => {
    const config = loadConfigFile(path.join(__dirname, '..', '..', '..', 'switchyard.yaml'), {});
    expect(config.models.size).toBeGreaterThan(3);
  });
});
