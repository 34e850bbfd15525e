/**
 * `npm run api`: the HTTP front door against an existing Temporal cluster and Postgres
 * (TEMPORAL_ADDRESS and DATABASE_URL required). It also polls the interactive task queue, which
 * is what lets requests start eagerly; set SWITCHYARD_API_WORKER=false to serve HTTP only.
 */
import { tracingSettingsFromEnv } from '../observability/tracing';
import { installTemporalRuntime } from '../observability/temporal-metrics';
import { startGateway } from '../server/start-gateway';
import { loadSettings, masterKeyFrom, onShutdown, requireAdminToken, requireHistoryKeyring, say } from './common';

async function main(): Promise<void> {
  const { env, config, logger } = loadSettings();
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) throw new Error('npm run api needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs embedded ones)');
  requireAdminToken(env, 'for npm run api');
  const history = requireHistoryKeyring(env);
  installTemporalRuntime('WARN');
  const gateway = await startGateway({
    config,
    databaseUrl: env.DATABASE_URL,
    temporal: { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, apiKey: env.TEMPORAL_API_KEY, tls: env.TEMPORAL_TLS },
    roles: { api: true, worker: env.SWITCHYARD_API_WORKER ?? true },
    host: env.HOST,
    port: env.PORT,
    adminToken: env.SWITCHYARD_ADMIN_TOKEN,
    keyCacheTtlMs: env.SWITCHYARD_KEY_CACHE_TTL_MS,
    pricesFile: env.SWITCHYARD_PRICES_FILE,
    historyKeyring: history.keyring,
    codecCorsOrigins: env.SWITCHYARD_CODEC_CORS_ORIGINS,
    masterKey: masterKeyFrom(env),
    credentialFileDirs: env.SWITCHYARD_CREDENTIAL_FILE_DIRS,
    logger,
    tracing: tracingSettingsFromEnv(env),
  });
  say(`API listening on ${gateway.url}; history encryption: ${history.source}`);
  onShutdown(() => gateway.stop(), say);
}

main().catch((err: unknown) => {
  process.stderr.write(`switchyard api: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
