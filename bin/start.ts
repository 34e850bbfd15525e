/**
 * `npm start`: the whole gateway on embedded defaults. Starts Postgres and a Temporal dev
 * server under the data folder (unless DATABASE_URL / TEMPORAL_ADDRESS name existing ones),
 * then the worker and the API in this one process.
 */
import path from 'node:path';
import { createPool } from '../db/pool';
import { migrate } from '../db/migrate';
import { startEmbeddedInfra } from '../server/embedded-infra';
import { ensureDevCredentials } from '../server/first-run-credentials';
import { tracingSettingsFromEnv } from '../observability/tracing';
import { installTemporalRuntime } from '../observability/temporal-metrics';
import { startGateway } from '../server/start-gateway';
import { PROJECT_ROOT, loadSettings, masterKeyFrom, onShutdown, requireAdminToken, requireHistoryKeyring, say } from './common';
import { codecOriginsWithUi } from '../api/middleware/codec-cors';

async function main(): Promise<void> {
  const { env, config, logger } = loadSettings();
  if (env.DATABASE_URL) requireAdminToken(env, 'when DATABASE_URL names an existing Postgres');
  installTemporalRuntime('WARN');
  const dataDir = path.resolve(PROJECT_ROOT, env.SWITCHYARD_DATA_DIR);
  // A key file under the data folder only next to our own dev server: workers of a shared
  // cluster (TEMPORAL_ADDRESS) must be given the same keyring.
  const history = requireHistoryKeyring(env, env.TEMPORAL_ADDRESS ? undefined : dataDir);
  // Embedded default: a master key is created once under the data folder (mode 0600).
  const masterKey = masterKeyFrom(env, env.DATABASE_URL ? undefined : path.join(dataDir, 'master-key'));
  const infra = await startEmbeddedInfra({
    dataDir,
    projectRoot: PROJECT_ROOT,
    databaseUrl: env.DATABASE_URL,
    temporalAddress: env.TEMPORAL_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE,
    temporalPort: env.TEMPORAL_PORT,
    temporalUiPort: env.TEMPORAL_UI_PORT,
    log: say,
  });
  try {
    let adminToken = env.SWITCHYARD_ADMIN_TOKEN;
    let credentials: Awaited<ReturnType<typeof ensureDevCredentials>> | undefined;
    // Dev credentials only on the embedded default: next to a real Postgres (DATABASE_URL) an
    // admin token is required (checked before anything starts).
    if (!adminToken && !env.DATABASE_URL) {
      const pool = createPool(infra.databaseUrl, 1);
      await migrate(pool);
      credentials = await ensureDevCredentials(pool, dataDir);
      await pool.end();
      adminToken = credentials.adminToken;
    }
    say('starting the worker and API…');
    const gateway = await startGateway({
      config,
      databaseUrl: infra.databaseUrl,
      temporal: { address: infra.temporalAddress, namespace: env.TEMPORAL_NAMESPACE, apiKey: env.TEMPORAL_API_KEY, tls: env.TEMPORAL_TLS },
      roles: { api: true, worker: true },
      host: env.HOST,
      port: env.PORT,
      adminToken,
      keyCacheTtlMs: env.SWITCHYARD_KEY_CACHE_TTL_MS,
      pricesFile: env.SWITCHYARD_PRICES_FILE,
      historyKeyring: history.keyring,
      // The UI this command started may sit on another port than 8233 (TEMPORAL_UI_PORT).
      codecCorsOrigins: env.SWITCHYARD_CODEC_CORS_ORIGINS ?? codecOriginsWithUi(infra.temporalUiUrl),
      masterKey,
      credentialFileDirs: env.SWITCHYARD_CREDENTIAL_FILE_DIRS,
      logger,
      tracing: tracingSettingsFromEnv(env),
    });
    const lines = [
      '',
      `Switchyard is up: ${gateway.url}/v1  (OpenAI-compatible)`,
      `  Temporal:      ${infra.temporalAddress}${infra.temporalUiUrl ? `   Web UI: ${infra.temporalUiUrl}` : ''}`,
      `  Postgres:      ${env.DATABASE_URL ? 'DATABASE_URL' : `embedded, data in ${path.join(dataDir, 'postgres')}`}`,
      `  Metrics:       ${gateway.url}/metrics    Health: ${gateway.url}/healthz, ${gateway.url}/readyz`,
      `  History keys:  ${history.source}   (codec endpoint for the Temporal UI: ${gateway.url}/codec, see docs/history-encryption.md)`,
    ];
    if (credentials) {
      lines.push(`  Admin token:   ${credentials.adminToken}   (stored in ${credentials.adminTokenFile})`);
      lines.push(`  Client key:    ${credentials.firstClientKey}   (stored in ${credentials.clientKeyFile})`);
    }
    lines.push('  Ctrl-C stops everything this command started.', '');
    process.stderr.write(lines.join('\n') + '\n');
    onShutdown(async () => {
      await gateway.stop();
      await infra.stop();
    }, say);
  } catch (err) {
    await infra.stop();
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`switchyard: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
