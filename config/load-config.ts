import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { fileConfigSchema, type FileConfig } from './schema';
import { DEFAULT_CIRCUIT_SETTINGS, mergeCircuitSettings, type CircuitSettings } from '../circuit/settings';
import type { Deployment, DeploymentTimeouts, GatewayConfig, ModelRoute } from './gateway-config';
import { deploymentId } from './route-plan';
import type { ProviderKind, ProviderSettings } from '../providers/types';

/** Thrown for any invalid config; the message names the file and the bad field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_KEY_ENV: Record<ProviderKind, string | undefined> = {
  openai: 'OPENAI_API_KEY',
  azure: 'AZURE_OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  bedrock: undefined,
};
const DEFAULT_BASE_URL_ENV: Record<ProviderKind, string> = {
  openai: 'OPENAI_BASE_URL',
  azure: 'AZURE_OPENAI_ENDPOINT',
  anthropic: 'ANTHROPIC_BASE_URL',
  bedrock: 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
};

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the YAML file at `path`. Throws `ConfigError` naming the bad field. */
export function loadConfigFile(path: string, env: Env = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(raw, env, path);
}

/** Validates an already-parsed config object. `source` names it in error messages. */
export function parseConfig(raw: unknown, env: Env, source = 'config'): GatewayConfig {
  const parsed = fileConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${source}: ${describeIssues(parsed.error)}`);
  const file = parsed.data;
  const providers = new Map<string, ProviderSettings>();
  for (const [id, p] of Object.entries(file.providers)) {
    // Bedrock signs with the AWS credential chain, not an API key a credential could hold.
    if (p.credential && p.type === 'bedrock')
      throw new ConfigError(`${source}: providers.${id}.credential: not supported for bedrock (it uses the AWS credential chain)`);
    providers.set(id, Object.freeze(resolveProvider(id, p, env)));
  }
  const circuitDefaults = mergeCircuitSettings(DEFAULT_CIRCUIT_SETTINGS, file.circuit_breaker);
  const circuitsByDeployment = new Map<string, CircuitSettings>();
  const models = new Map<string, ModelRoute>();
  for (const [name, m] of Object.entries(file.models)) {
    m.deployments.forEach((d, i) => {
      if (!providers.has(d.provider)) {
        throw new ConfigError(
          `${source}: models.${name}.deployments.${i}.provider: unknown provider "${d.provider}" (known: ${[...providers.keys()].join(', ')})`,
        );
      }
    });
    const deployments: Deployment[] = m.deployments.map((d, i) => {
      const id = deploymentId(d.provider, d.model);
      if (d.circuit_breaker) {
        const settings = mergeCircuitSettings(circuitDefaults, d.circuit_breaker);
        const earlier = circuitsByDeployment.get(id);
        if (earlier && JSON.stringify(earlier) !== JSON.stringify(settings)) {
          throw new ConfigError(`${source}: models.${name}.deployments.${i}.circuit_breaker: deployment ${id} has other circuit settings elsewhere`);
        }
        circuitsByDeployment.set(id, settings);
      }
      const timeouts: DeploymentTimeouts = Object.freeze({ firstByteMs: d.timeouts?.first_byte_ms, totalMs: d.timeouts?.total_ms });
      return Object.freeze({ provider: d.provider, upstreamModel: d.model, weight: d.weight ?? 1, priority: d.priority ?? 0, id, timeouts });
    });
    models.set(name, Object.freeze({ name, type: m.type ?? 'chat', deployments, fallbacks: m.fallbacks ?? [], strategy: m.strategy ?? 'weighted' }));
  }
  checkFallbacks(file, models, source);
  return Object.freeze({
    providers,
    models,
    retry: Object.freeze({
      maxAttempts: file.retry?.max_attempts ?? 3,
      initialIntervalMs: file.retry?.initial_interval_ms ?? 500,
      backoffCoefficient: file.retry?.backoff_coefficient ?? 2,
      maxIntervalMs: file.retry?.max_interval_ms ?? 10_000,
    }),
    durableAttempts: file.durable?.attempts ?? 'local_activity',
    maxBodyBytes: file.limits?.max_body_bytes ?? 10 * 1024 * 1024,
    idempotencyWindowMs: Math.round((file.limits?.idempotency_window_hours ?? 24) * 3_600_000),
    streamHoldMs: Math.round((file.limits?.stream_hold_seconds ?? 600) * 1000),
    shutdownDrainMs: Math.round((file.shutdown?.drain_seconds ?? 30) * 1000),
    circuits: Object.freeze({
      defaults: circuitDefaults,
      byDeployment: circuitsByDeployment,
      syncIntervalMs: file.circuit_breaker?.sync_interval_ms ?? 250,
    }),
    healthChecks: Object.freeze({
      enabled: file.health_checks?.enabled ?? true,
      intervalSeconds: file.health_checks?.interval_seconds ?? 60,
      timeoutMs: file.health_checks?.timeout_ms ?? 10_000,
    }),
    maxFileBytes: file.limits?.max_file_bytes ?? 200 * 1000 * 1000,
    batch: Object.freeze({
      concurrency: file.batch?.concurrency ?? 64,
      keyConcurrency: new Map(Object.entries(file.batch?.key_concurrency ?? {})),
      pageSize: file.batch?.page_size ?? 500,
      pagesPerRun: file.batch?.pages_per_run ?? 50,
      completionWindowMs: Math.round((file.batch?.completion_window_seconds ?? 24 * 3600) * 1000),
    }),
  });
}

function resolveProvider(id: string, p: FileConfig['providers'][string], env: Env): ProviderSettings {
  const keyEnv = p.api_key_env ?? DEFAULT_KEY_ENV[p.type];
  const baseURL = p.base_url ?? nonEmpty(env[p.base_url_env ?? DEFAULT_BASE_URL_ENV[p.type]]);
  return {
    id,
    kind: p.type,
    baseURL,
    apiKey: keyEnv ? nonEmpty(env[keyEnv]) : undefined,
    credentialId: p.credential,
    apiVersion: p.type === 'azure' ? (p.api_version ?? nonEmpty(env.OPENAI_API_VERSION) ?? '2024-10-21') : undefined,
    region: p.type === 'bedrock' ? (p.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1') : undefined,
    timeoutMs: p.timeout_ms ?? 60_000,
    connectTimeoutMs: p.connect_timeout_ms,
  };
}

function checkFallbacks(file: FileConfig, models: ReadonlyMap<string, ModelRoute>, source: string): void {
  for (const [name, m] of Object.entries(file.models)) {
    (m.fallbacks ?? []).forEach((f, i) => {
      const target = models.get(f);
      if (!target) throw new ConfigError(`${source}: models.${name}.fallbacks.${i}: unknown model "${f}"`);
      if (f === name) throw new ConfigError(`${source}: models.${name}.fallbacks.${i}: a model cannot fall back to itself`);
      if (target.type !== (m.type ?? 'chat')) {
        throw new ConfigError(`${source}: models.${name}.fallbacks.${i}: "${f}" is a ${target.type} model`);
      }
    });
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
