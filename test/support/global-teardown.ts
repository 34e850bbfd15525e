import { rm } from 'node:fs/promises';

import { logSetup } from './infrastructure-state';

/**
 * Jest globalTeardown of the integration project: stops the Temporal dev server and Postgres that
 * globalSetup started (never ones named by the environment) and deletes their temp directories.
 */
export default async function globalTeardown(): Promise<void> {
  const infrastructure = globalThis.__switchyardTestInfrastructure;
  if (infrastructure === undefined) return;
  globalThis.__switchyardTestInfrastructure = undefined;

  const results = await Promise.allSettled(infrastructure.stops.splice(0).map((stop) => stop()));
  for (const result of results) {
    if (result.status === 'rejected') {
      logSetup(`stop failed: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`);
    }
  }
  for (const dir of infrastructure.tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
}
