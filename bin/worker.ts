/** `npm run worker`: polls the task queues against an existing Temporal cluster and Postgres. */
import { tracingSettingsFromEnv } from '../observability/tracing';
import { installTemporalRuntime } from '../observability/temporal-metrics';
import { startGateway } from '../server/start-gateway';
import { loadSettings, masterKeyFrom, onShutdown, requireHistoryKeyring, say } from './common';

async function main(): Promise<void> {
  const { env, config, logger } = loadSettings();
  if (!env.TEMPORAL_ADDRESS || !env.DATABASE_URL) throw new Error('npm run worker needs TEMPORAL_ADDRESS and DATABASE_URL (npm start runs embedded ones)');
  const history = requireHistoryKeyring(env);
  installTemporalRuntime('WARN');
  const gateway = await startGateway({
    config,
    databaseUrl: env.DATABASE_URL,
    temporal: { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE, apiKey: env.TEMPORAL_API_KEY, tls: env.TEMPORAL_TLS },
    roles: { api: false, worker: true },
    pricesFile: env.SWITCHYARD_PRICES_FILE,
    historyKeyring: history.keyring,
    masterKey: masterKeyFrom(env),
    credentialFileDirs: env.SWITCHYARD_CREDENTIAL_FILE_DIRS,
    logger,
    tracing: tracingSettingsFromEnv(env),
  });
  say(`worker polling; history encryption: ${history.source}`);
  onShutdown(() => gateway.stop(), say);
}

main().catch((err: unknown) => {
  process.stderr.write(`switchyard worker: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
