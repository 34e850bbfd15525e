/**
 * A batch worker process for the restart test: the gateway's batch worker (task queue
 * `switchyard-batch`) against the fake upstream at FAKE_URL, with the test config plus the
 * JSON overrides in CONFIG_OVERRIDES. Prints `ready` once polling; the test kills it with SIGKILL.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { Pool } from 'pg';
import { ProviderRegistry } from '../../../providers/registry';
import { historyDataConverter } from '../../../temporal/data-converter';
import { createBatchWorker } from '../../../worker/create-batch-worker';
import { TEST_HISTORY_KEYRING } from '../history-keys';
import { testConfigFor } from '../test-gateway';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const config = testConfigFor(process.env.FAKE_URL!, JSON.parse(process.env.CONFIG_OVERRIDES ?? '{}') as Record<string, unknown>);
  const worker = await createBatchWorker({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    config,
    providers: new ProviderRegistry(config),
    pool,
    dataConverter: historyDataConverter(TEST_HISTORY_KEYRING),
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`batch worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
