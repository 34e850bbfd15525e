import { ConfigError, parseConfig } from '../../../config/load-config';
import { ProviderRegistry } from '../../../providers/registry';

const models = { m: { deployments: [{ provider: 'p', model: 'x' }] } };

describe('provider entries naming a credential', () => {
  it('carry the credential id, and count as unconfigured without a resolver', () => {
    const config = parseConfig({ providers: { p: { type: 'openai', credential: 'openai-prod' } }, models }, {});
    expect(config.providers.get('p')).toMatchObject({ credentialId: 'openai-prod', apiKey: undefined });
    // Without a resolver the entry fails over like a provider without a key.
    expect(new ProviderRegistry(config).unconfigured()).toEqual(['p']);
  });

  it('are refused for bedrock', () => {
    const raw = { providers: { p: { type: 'bedrock', credential: 'c' } }, models };
    expect(() => parseConfig(raw, {})).toThrow(ConfigError);
    expect(() => parseConfig(raw, {})).toThrow('providers.p.credential');
  });
});
