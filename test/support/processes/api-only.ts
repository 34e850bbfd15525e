/**
 * An API-only gateway process for the crash tests (no worker), against the fake upstream at
 * FAKE_URL, with stream holds of STREAM_HOLD_SECONDS. Prints `url <http://…>` once listening.
 */
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { createLogger } from '../../../observability/logger';
import { startGateway } from '../../../server/start-gateway';
import { TEST_HISTORY_KEYRING } from '../history-keys';
import { testConfigFor } from '../test-gateway';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const holdSeconds = Number(process.env.STREAM_HOLD_SECONDS ?? 600);
  const gateway = await startGateway({
    config: testConfigFor(process.env.FAKE_URL!, { limits: { max_body_bytes: 64 * 1024, stream_hold_seconds: holdSeconds } }),
    databaseUrl: process.env.DATABASE_URL!,
    temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
    roles: { api: true, worker: false },
    port: 0,
    logger: createLogger({ level: 'silent' }),
    historyKeyring: TEST_HISTORY_KEYRING,
  });
  process.stdout.write(`url ${gateway.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`api process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
