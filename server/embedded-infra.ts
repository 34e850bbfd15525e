import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { locateTemporalCli } from '../temporal/cli-locator';
import { DEV_SERVER_TUNING_ARGS, startDevServer } from '../temporal/dev-server';
import { SEARCH_ATTRIBUTE_DEFS } from '../temporal/search-attribute-defs';
import { SA } from '../temporal/search-attributes';

export interface EmbeddedInfra {
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  /** Temporal Web UI, when this process started the dev server with a UI. */
  readonly temporalUiUrl: string | null;
  /** Stops what this process started (and nothing it found already running). */
  stop(): Promise<void>;
}

/**
 * Brings up what `DATABASE_URL` / `TEMPORAL_ADDRESS` do not name: a real Postgres from the
 * embedded-postgres binaries and a Temporal dev server, both keeping their data under `dataDir`
 * so a restart finds everything again.
 */
export async function startEmbeddedInfra(opts: {
  dataDir: string;
  projectRoot: string;
  databaseUrl?: string;
  temporalAddress?: string;
  namespace: string;
  temporalPort: number;
  temporalUiPort: number;
  log: (line: string) => void;
}): Promise<EmbeddedInfra> {
  const stops: Array<() => Promise<void>> = [];
  try {
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      opts.log('starting embedded Postgres…');
      const pg = await startEmbeddedPostgres({ dataDir: path.join(opts.dataDir, 'postgres'), port: 0, log: opts.log });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    let temporalAddress = opts.temporalAddress;
    let temporalUiUrl: string | null = null;
    if (!temporalAddress) {
      const dev = await startTemporal(opts);
      stops.push(dev.stop);
      temporalAddress = dev.address;
      temporalUiUrl = dev.uiUrl;
    }
    return {
      databaseUrl,
      temporalAddress,
      temporalUiUrl,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

async function startTemporal(opts: Parameters<typeof startEmbeddedInfra>[0]): Promise<{ address: string; uiUrl: string | null; stop(): Promise<void> }> {
  const cli = await locateTemporalCli({ projectRoot: opts.projectRoot, log: opts.log });
  const dbFile = path.join(opts.dataDir, 'temporal', 'dev.db');
  if (cli.kind === 'path') {
    opts.log(`starting Temporal dev server (${cli.path})…`);
    const dev = await startDevServer({
      cliPath: cli.path,
      dbFile,
      port: opts.temporalPort,
      uiPort: opts.temporalUiPort,
      namespace: opts.namespace,
      searchAttributes: SEARCH_ATTRIBUTE_DEFS,
      log: opts.log,
    });
    return { address: dev.address, uiUrl: dev.uiUrl, stop: () => dev.stop() };
  }
  // Last resort, for machines on the internet without Go: the SDK downloads the CLI itself.
  opts.log('no Temporal CLI found and no Go toolchain: letting the Temporal SDK download the CLI…');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      dbFilename: dbFile,
      port: opts.temporalPort,
      ui: true,
      uiPort: opts.temporalUiPort,
      namespace: opts.namespace,
      searchAttributes: Object.values(SA),
      extraArgs: [...DEV_SERVER_TUNING_ARGS],
    },
  });
  return { address: env.address, uiUrl: `http://127.0.0.1:${opts.temporalUiPort}`, stop: () => env.teardown() };
}
