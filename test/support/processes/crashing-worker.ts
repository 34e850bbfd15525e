/**
 * A worker process for the crash tests: the gateway's interactive worker against the fake
 * upstream at FAKE_URL, whose ledger connection kills the whole process (SIGKILL, no cleanup)
 * the moment settlement starts writing the usage record — i.e. after the provider was called
 * and paid, inside the attempt's activity, before the charge is recorded. Prints `ready` once
 * polling.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { Pool } from 'pg';
import { ProviderRegistry } from '../../../providers/registry';
import { createInteractiveWorker } from '../../../worker/create-worker';
import { historyDataConverter } from '../../../temporal/data-converter';
import { TEST_HISTORY_KEYRING } from '../history-keys';
import { interceptQueries } from '../intercept-queries';
import { testConfigFor } from '../test-gateway';

function crashOnSettlement(pool: Pool): void {
  interceptQueries(pool, (text) => {
    if (text.includes('INSERT INTO usage_records')) process.kill(process.pid, 'SIGKILL');
    return undefined;
  });
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  crashOnSettlement(pool);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const providers = new ProviderRegistry(testConfigFor(process.env.FAKE_URL!));
  const worker = await createInteractiveWorker({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    providers,
    pool,
    dataConverter: historyDataConverter(TEST_HISTORY_KEYRING),
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`crashing worker failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
