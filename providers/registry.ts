import type { GatewayConfig } from '../config/gateway-config';
import { FailureType } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { CredentialResolver } from '../secrets/credential-resolver';
import { createAdapter } from './create-adapter';
import { CredentialAdapter } from './credential-adapter';
import type { ProviderAdapter, ProviderKind, ProviderSettings } from './types';

/** Adapters built once per provider entry, shared by the activities and the streaming fast path. */
export class ProviderRegistry {
  private readonly adapters = new Map<string, ProviderAdapter>();

  /** @param opts.credentials resolves `credential:` entries; without it such entries fail as auth errors. */
  constructor(config: GatewayConfig, opts: { credentials?: CredentialResolver } = {}) {
    for (const [id, settings] of config.providers) {
      if (settings.credentialId && needsKey(settings)) {
        this.adapters.set(id, opts.credentials ? new CredentialAdapter(settings, settings.credentialId, opts.credentials) : missingKeyAdapter(settings));
        continue;
      }
      this.adapters.set(id, needsKey(settings) && !settings.apiKey ? missingKeyAdapter(settings) : createAdapter(settings));
    }
  }

  /** The adapter for a provider id; throws `UpstreamError` (ProviderNotFound) for an unknown id. */
  get(providerId: string): ProviderAdapter {
    const adapter = this.adapters.get(providerId);
    if (!adapter) {
      throw new UpstreamError(`provider "${providerId}" is not configured`, { failureType: FailureType.ProviderNotFound, provider: providerId });
    }
    return adapter;
  }

  /** The kind of a configured provider; undefined for an unknown id. */
  kind(providerId: string): ProviderKind | undefined {
    return this.adapters.get(providerId)?.settings.kind;
  }

  /** Ids of providers that have no credentials, for the start-up banner. */
  unconfigured(): string[] {
    return [...this.adapters.values()].filter((a) => needsKey(a.settings) && !a.settings.apiKey && !(a instanceof CredentialAdapter)).map((a) => a.settings.id);
  }
}

function needsKey(settings: ProviderSettings): boolean {
  return settings.kind !== 'bedrock';
}

/**
 * A provider whose key variable is unset still loads (so the rest of the config works) but
 * fails every call as an auth error, which moves the plan on to the next deployment.
 */
function missingKeyAdapter(settings: ProviderSettings): ProviderAdapter {
  const fail = (): never => {
    throw new UpstreamError(`provider "${settings.id}" has no API key configured`, {
      failureType: FailureType.ProviderAuth,
      provider: settings.id,
      status: 401,
    });
  };
  return {
    settings,
    chat: async () => fail(),
    embed: async () => fail(),
    // eslint-disable-next-line require-yield
    chatStream: async function* () {
      fail();
    },
  };
}
