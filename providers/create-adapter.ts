import { AnthropicAdapter } from './anthropic/adapter';
import { BedrockAdapter } from './bedrock/adapter';
import { OpenAIAdapter } from './openai/adapter';
import { ProviderKind, type ProviderAdapter, type ProviderSettings } from './types';

/**
 * Builds the adapter for one provider entry, with its SDK client (retries off, timeout from
 * `settings.timeoutMs`). Call once per provider and share the adapter.
 *
 * @throws Error when the SDK rejects the settings at construction (e.g. an `openai` entry with
 *   no key in the settings or OPENAI_API_KEY); the message names the provider id.
 */
export function createAdapter(settings: ProviderSettings): ProviderAdapter {
  try {
    switch (settings.kind) {
      case ProviderKind.OpenAI:
      case ProviderKind.Azure:
        return new OpenAIAdapter(settings);
      case ProviderKind.Anthropic:
        return new AnthropicAdapter(settings);
      case ProviderKind.Bedrock:
        return new BedrockAdapter(settings);
      default:
        return assertNever(settings.kind);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`provider "${settings.id}" (${settings.kind}): ${message}`, { cause: err });
  }
}

function assertNever(kind: never): never {
  throw new Error(`unknown provider kind: ${String(kind)}`);
}
