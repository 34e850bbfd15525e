import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { DefaultLogger, bundleWorkflowCode, type Logger as TemporalLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseConfig } from '../../config/load-config';
import { issueKey } from '../../db/keys';
import { createLogger, type Logger } from '../../observability/logger';
import { TRACING_WORKFLOW_MODULES, type TracingSettings } from '../../observability/tracing';
import { installTemporalRuntime } from '../../observability/temporal-metrics';
import { startGateway, type RunningGateway } from '../../server/start-gateway';
import { FAILURE_CONVERTER_PATH } from '../../temporal/data-converter';
import type { HistoryKeyring } from '../../temporal/history-keyring';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { startFakeUpstream, type FakeUpstream } from '../fakes';
import { TEST_HISTORY_KEYRING } from './history-keys';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The key the test config's providers send upstream (`FAKE_KEY`): the gateway's own provider secret. */
export const FAKE_UPSTREAM_KEY = 'fake-upstream-key';

export interface TestGateway {
  readonly url: string;
  readonly key: string;
  readonly keyId: string;
  readonly fake: FakeUpstream;
  readonly gateway: RunningGateway;
  /** The official OpenAI client pointed at the gateway, with its own retries off. */
  readonly openai: OpenAI;
  stop(): Promise<void>;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let tracedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

/**
 * Installs this test file's Temporal Runtime once (default: SDK warnings to the console). A test
 * that reads the SDK's own log lines calls it with its logger before starting a gateway.
 */
export function installTestRuntime(logger: TemporalLogger = new DefaultLogger('WARN')): void {
  if (runtimeInstalled) return;
  installTemporalRuntime('WARN', logger);
  runtimeInstalled = true;
}

/** The workflow bundle, built once per test file (with the encrypted-history failure converter, as workers build it). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

/** The workflow bundle with the OpenTelemetry workflow interceptors, built once per test file that traces. */
export function tracedWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  tracedBundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [...TRACING_WORKFLOW_MODULES],
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: new DefaultLogger('WARN'),
  });
  return tracedBundle;
}

/**
 * A config pointing every provider kind at the fake upstream. `oai-badkey` sends the key the
 * fake refuses (401); `oai-slow` times out after 1 s.
 */
export function testConfigFor(fakeUrl: string, overrides: Record<string, unknown> = {}) {
  const raw = {
    providers: {
      oai: { type: 'openai', base_url: `${fakeUrl}/v1`, api_key_env: 'FAKE_KEY' },
      'oai-badkey': { type: 'openai', base_url: `${fakeUrl}/v1`, api_key_env: 'FAKE_BAD_KEY' },
      'oai-slow': { type: 'openai', base_url: `${fakeUrl}/v1`, api_key_env: 'FAKE_KEY', timeout_ms: 1000 },
      'oai-nokey': { type: 'openai', base_url: `${fakeUrl}/v1`, api_key_env: 'FAKE_UNSET_KEY' },
      azure: { type: 'azure', base_url: fakeUrl, api_key_env: 'FAKE_KEY' },
      ant: { type: 'anthropic', base_url: fakeUrl, api_key_env: 'FAKE_KEY' },
      bed: { type: 'bedrock', base_url: fakeUrl, region: 'us-east-1' },
    },
    models: {
      'gpt-test': { deployments: [{ provider: 'oai', model: 'gpt-4o-mini' }] },
      'azure-test': { deployments: [{ provider: 'azure', model: 'my-gpt-deployment' }] },
      'claude-test': { deployments: [{ provider: 'ant', model: 'claude-3-5-haiku-latest' }] },
      'bedrock-test': { deployments: [{ provider: 'bed', model: 'anthropic.claude-3-haiku-20240307-v1:0' }] },
      'badkey-then-claude': { deployments: [{ provider: 'oai-badkey', model: 'gpt-4o-mini' }], fallbacks: ['claude-test'] },
      'nokey-then-bedrock': {
        deployments: [
          { provider: 'oai-nokey', model: 'gpt-4o-mini' },
          { provider: 'bed', model: 'amazon.nova-lite-v1:0' },
        ],
      },
      'slow-test': { deployments: [{ provider: 'oai-slow', model: 'gpt-4o-mini' }] },
      'embed-test': { type: 'embedding', deployments: [{ provider: 'oai', model: 'text-embedding-3-small' }] },
      'titan-test': { type: 'embedding', deployments: [{ provider: 'bed', model: 'amazon.titan-embed-text-v2:0' }] },
    },
    retry: { max_attempts: 3, initial_interval_ms: 50, backoff_coefficient: 2, max_interval_ms: 500 },
    limits: { max_body_bytes: 64 * 1024 },
    // Off unless a test turns them on: every test file shares one database, and faults injected
    // on the shared deployments would otherwise open circuits for the tests that follow.
    circuit_breaker: { enabled: false },
    health_checks: { enabled: false },
    ...overrides,
  };
  return parseConfig(raw, { FAKE_KEY: FAKE_UPSTREAM_KEY, FAKE_BAD_KEY: 'bad-key' }, 'test config');
}

/** Starts a fake upstream and a gateway (api + worker) against the run's Temporal and Postgres. */
export async function startTestGateway(
  opts: {
    adminToken?: string | null;
    keyCacheTtlMs?: number;
    configOverrides?: Record<string, unknown>;
    /** Default TEST_HISTORY_KEYRING; null: history in plain text. */
    historyKeyring?: HistoryKeyring | null;
    /** Browser origins allowed on /codec/*; default the local Temporal UI's. */
    codecCorsOrigins?: string[];
    logger?: Logger;
    tracing?: TracingSettings;
  } = {},
): Promise<TestGateway> {
  installTestRuntime();
  // The Bedrock SDK reads credentials from the standard AWS chain; the fake does not check them.
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIDFAKE';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'fake-secret';
  const fake = await startFakeUpstream();
  const gateway = await startGateway({
    config: testConfigFor(fake.url, opts.configOverrides),
    databaseUrl: requiredEnv('DATABASE_URL'),
    temporal: { address: requiredEnv('TEMPORAL_ADDRESS'), namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
    roles: { api: true, worker: true },
    port: 0,
    adminToken: opts.adminToken === null ? undefined : (opts.adminToken ?? ADMIN_TOKEN),
    keyCacheTtlMs: opts.keyCacheTtlMs,
    logger: opts.logger ?? createLogger({ level: 'silent' }),
    historyKeyring: opts.historyKeyring === undefined ? TEST_HISTORY_KEYRING : opts.historyKeyring,
    codecCorsOrigins: opts.codecCorsOrigins,
    workflowBundle: await (opts.tracing ? tracedWorkflowBundle() : workflowBundle()),
    tracing: opts.tracing,
    masterKey: randomBytes(32),
  });
  const issued = await issueKey(gateway.pool, { name: 'test key' });
  const url = gateway.url!;
  return {
    url,
    key: issued.key,
    keyId: issued.id,
    fake,
    gateway,
    openai: new OpenAI({ apiKey: issued.key, baseURL: `${url}/v1`, maxRetries: 0, timeout: 30_000 }),
    async stop() {
      await gateway.stop();
      await fake.close();
    },
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the integration global setup should have set it`);
  return value;
}

/** A unique text per test so the fake's per-text fault counters never collide. */
export function uniqueText(label: string, directives = ''): string {
  return `${label} ${Math.random().toString(36).slice(2, 10)} ${directives}`.trim();
}
