import OpenAI, { AzureOpenAI } from 'openai';
import { createNodeHttpFetch } from '../node-http-fetch';
import { sdkBackstopTimeoutMs } from '../response-deadline';
import { ProviderKind, type ProviderSettings } from '../types';

/**
 * Builds the SDK client for an `openai` or `azure` provider entry: SDK retries off (Temporal
 * or the fast-path loop owns retries), SDK timeout only a backstop (the adapter keeps the
 * per-attempt deadline, see `ResponseDeadline`), SDK logging off, and {@link nodeHttpFetch} as
 * its transport.
 *
 * Azure: `baseURL` may be the resource endpoint (`https://x.openai.azure.com`, what
 * AZURE_OPENAI_ENDPOINT holds) or a full base URL ending in `/openai`; the deployment is the
 * per-call `model`, so one client serves every deployment of the resource.
 *
 * @throws OpenAIError from the SDK when the settings are unusable (e.g. no key anywhere).
 */
export function buildOpenAIClient(settings: ProviderSettings): OpenAI {
  // logLevel 'off' (which also beats OPENAI_LOG): the SDK's debug logs carry request bodies and
  // its error logs quote raw upstream payloads.
  const common = {
    apiKey: settings.apiKey,
    timeout: sdkBackstopTimeoutMs(settings.timeoutMs),
    maxRetries: 0,
    logLevel: 'off' as const,
    fetch: createNodeHttpFetch({ connectTimeoutMs: settings.connectTimeoutMs }),
  };
  if (settings.kind === ProviderKind.Azure) {
    return new AzureOpenAI({ ...common, apiVersion: settings.apiVersion, ...azureLocation(settings.baseURL) });
  }
  return new OpenAI({ ...common, baseURL: settings.baseURL });
}

function azureLocation(baseURL: string | undefined): { endpoint?: string; baseURL?: string | null } {
  // Undefined: the SDK reads AZURE_OPENAI_ENDPOINT itself.
  if (!baseURL) return {};
  if (/\/openai\/?$/i.test(baseURL)) return { baseURL };
  // `null` stops the SDK from also reading OPENAI_BASE_URL, which it rejects next to `endpoint`.
  return { endpoint: baseURL, baseURL: null };
}
