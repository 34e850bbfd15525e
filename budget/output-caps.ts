import { DEFAULT_MAX_TOKENS as ANTHROPIC_DEFAULT_MAX_TOKENS } from '../providers/anthropic/request-map';
import type { ProviderRegistry } from '../providers/registry';

/**
 * The output cap each provider's adapter sends when a request names none, for the estimate:
 * the Anthropic adapter must send one (4096); the others send nothing, so the upstream's own
 * cap applies (the price row's `max_output_tokens`).
 *
 * @param providers the configured providers.
 */
export function adapterOutputCaps(providers: Pick<ProviderRegistry, 'kind'>): (provider: string) => number | undefined {
  return (provider) => (providers.kind(provider) === 'anthropic' ? ANTHROPIC_DEFAULT_MAX_TOKENS : undefined);
}
