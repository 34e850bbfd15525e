import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { TestWorkflowEnvironment } from '@temporalio/testing';

import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { locateTemporalCli } from '../../temporal/cli-locator';
import { DEV_SERVER_TUNING_ARGS, startDevServer } from '../../temporal/dev-server';
import { getFreePort } from '../../temporal/free-port';
import { SEARCH_ATTRIBUTE_DEFS } from '../../temporal/search-attribute-defs';
import { SA } from '../../temporal/search-attributes';
import globalTeardown from './global-teardown';
import { logSetup, type TestInfrastructure } from './infrastructure-state';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Jest globalSetup of the integration project: starts ONE Temporal dev server (with its Web UI,
 * for the browser test) and ONE embedded Postgres for the whole run (each in a fresh temp dir, on
 * free ports), unless `TEMPORAL_ADDRESS` / `DATABASE_URL` already name running ones. Publishes
 * `TEMPORAL_ADDRESS`, `TEMPORAL_UI_URL`, `TEMPORAL_NAMESPACE`, `TEMPORAL_CLI_PATH` and
 * `DATABASE_URL` for the test files. With an external `TEMPORAL_ADDRESS`, set `TEMPORAL_UI_URL`
 * to its UI yourself.
 *
 * The first run on a machine without a Temporal CLI builds one with Go (~4 minutes).
 */
export default async function globalSetup(): Promise<void> {
  const infrastructure: TestInfrastructure = { stops: [], tempDirs: [] };
  globalThis.__switchyardTestInfrastructure = infrastructure;
  const startedAt = Date.now();
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  process.env.TEMPORAL_NAMESPACE = namespace;
  const needTemporal = (process.env.TEMPORAL_ADDRESS ?? '') === '';
  const needPostgres = (process.env.DATABASE_URL ?? '') === '';
  if (!needTemporal) logSetup(`using TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS}`);
  if (!needPostgres) logSetup('using DATABASE_URL from the environment');
  if (!needTemporal && !needPostgres) return;

  try {
    const root = await mkdtemp(path.join(os.tmpdir(), 'switchyard-it-'));
    infrastructure.tempDirs.push(root);
    // As root, Postgres runs as the `postgres` user, which must be able to enter this directory.
    await chmod(root, 0o755);
    const results = await Promise.allSettled([
      needTemporal ? startTemporal(root, namespace, infrastructure) : Promise.resolve(),
      needPostgres ? startPostgres(root, infrastructure) : Promise.resolve(),
    ]);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  } catch (error) {
    // Jest does not run globalTeardown when globalSetup throws.
    await globalTeardown();
    throw error;
  }
  logSetup(`ready in ${Date.now() - startedAt} ms`);
}

async function startTemporal(root: string, namespace: string, infrastructure: TestInfrastructure): Promise<void> {
  const cli = await locateTemporalCli({ projectRoot: PROJECT_ROOT, log: logSetup });
  if (cli.kind === 'path') {
    const server = await startDevServer({
      cliPath: cli.path,
      dbFile: path.join(root, 'temporal', 'dev.db'),
      port: 0,
      // The UI is served by the same process; starting it costs no measurable start time.
      uiPort: 0,
      namespace,
      searchAttributes: SEARCH_ATTRIBUTE_DEFS,
      log: logSetup,
    });
    infrastructure.stops.push(() => server.stop());
    process.env.TEMPORAL_ADDRESS = server.address;
    if (server.uiUrl) process.env.TEMPORAL_UI_URL = server.uiUrl;
    process.env.TEMPORAL_CLI_PATH = cli.path;
    return;
  }
  logSetup('starting Temporal through the SDK, which downloads the CLI (needs internet)');
  const uiPort = await getFreePort();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { namespace, searchAttributes: Object.values(SA), extraArgs: [...DEV_SERVER_TUNING_ARGS], ui: true, uiPort },
  });
  infrastructure.stops.push(() => env.teardown());
  process.env.TEMPORAL_ADDRESS = env.address;
  process.env.TEMPORAL_UI_URL = `http://127.0.0.1:${uiPort}`;
}

async function startPostgres(root: string, infrastructure: TestInfrastructure): Promise<void> {
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres', 'data'), port: 0, log: logSetup });
  infrastructure.stops.push(() => postgres.stop());
  process.env.DATABASE_URL = postgres.url;
}
