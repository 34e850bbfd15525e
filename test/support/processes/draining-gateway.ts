/**
 * A whole gateway (api + worker) in its own process for the graceful-shutdown test, against the
 * fake upstream at FAKE_URL, with `shutdown.drain_seconds` = DRAIN_SECONDS and the prebuilt
 * workflow bundle at WORKFLOW_BUNDLE. It stops the way `npm run api` does (bin/common.ts
 * onShutdown) and prints `url <http://…>` once listening.
 */
import { createLogger } from '../../../observability/logger';
import { installTemporalRuntime } from '../../../observability/temporal-metrics';
import { startGateway } from '../../../server/start-gateway';
import { onShutdown } from '../../../bin/common';
import { testConfigFor } from '../test-gateway';

async function main(): Promise<void> {
  installTemporalRuntime('ERROR');
  const gateway = await startGateway({
    config: testConfigFor(process.env.FAKE_URL!, { shutdown: { drain_seconds: Number(process.env.DRAIN_SECONDS ?? 30) } }),
    databaseUrl: process.env.DATABASE_URL!,
    temporal: { address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' },
    roles: { api: true, worker: true },
    port: 0,
    logger: createLogger({ level: 'silent' }),
    workflowBundle: process.env.WORKFLOW_BUNDLE ? { codePath: process.env.WORKFLOW_BUNDLE } : undefined,
  });
  onShutdown(
    () => gateway.stop(),
    (line) => process.stderr.write(`[draining-gateway] ${line}\n`),
  );
  process.stdout.write(`url ${gateway.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
