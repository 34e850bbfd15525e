/**
 * Postgres and Temporal for the benchmark: the ones DATABASE_URL / TEMPORAL_ADDRESS name, or
 * fresh throw-away ones (embedded Postgres and a headless, tuned Temporal dev server) in a temp dir.
 */
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { locateTemporalCli } from '../temporal/cli-locator';
import { startDevServer } from '../temporal/dev-server';
import { SEARCH_ATTRIBUTE_DEFS } from '../temporal/search-attribute-defs';
import type { Cleanup } from './cleanup';

/** Where the benchmark's Postgres and Temporal are. */
export interface BenchInfra {
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  readonly namespace: string;
  /** How each was obtained, for the report header. */
  readonly description: string;
}

/**
 * Starts what the environment does not provide; every started piece is registered on `cleanup`.
 *
 * @param tempDir - a directory the caller removes afterwards; must be traversable by others
 *   (as root, Postgres runs as the `postgres` user).
 * @throws if no Temporal CLI binary can be found or built (the SDK download fallback is not used:
 *   the floor driver and the gateway need the same tuned server).
 */
export async function startBenchInfra(opts: {
  tempDir: string;
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  cleanup: Cleanup;
  log: (line: string) => void;
}): Promise<BenchInfra> {
  const namespace = nonEmpty(opts.env.TEMPORAL_NAMESPACE) ?? 'default';
  const givenDb = nonEmpty(opts.env.DATABASE_URL);
  const givenTemporal = nonEmpty(opts.env.TEMPORAL_ADDRESS);

  // allSettled: a failure of one must not leave the other starting unseen after cleanup ran.
  const [db, temporal] = await Promise.allSettled([
    givenDb ?? startPostgres(opts),
    givenTemporal === undefined ? startTemporal({ ...opts, namespace }) : Promise.resolve({ address: givenTemporal, version: 'external' }),
  ]);
  if (db.status === 'rejected') throw db.reason;
  if (temporal.status === 'rejected') throw temporal.reason;
  const databaseUrl = db.value;
  const temporalAddress = temporal.value.address;
  const description = [
    givenDb ? 'Postgres from DATABASE_URL' : 'embedded Postgres (temp dir)',
    givenTemporal ? `Temporal at ${givenTemporal}` : `Temporal dev server ${temporal.value.version} (temp SQLite, headless, tuning flags)`,
  ].join('; ');
  return { databaseUrl, temporalAddress, namespace, description };
}

async function startPostgres(opts: { tempDir: string; cleanup: Cleanup; log: (line: string) => void }): Promise<string> {
  const pg = await startEmbeddedPostgres({ dataDir: path.join(opts.tempDir, 'postgres'), port: 0, log: opts.log });
  opts.cleanup.add('embedded Postgres', () => pg.stop());
  return pg.url;
}

async function startTemporal(opts: {
  tempDir: string;
  projectRoot: string;
  namespace: string;
  cleanup: Cleanup;
  log: (line: string) => void;
}): Promise<{ address: string; version: string }> {
  const cli = await locateTemporalCli({ projectRoot: opts.projectRoot, log: opts.log });
  if (cli.kind !== 'path') {
    throw new Error('no Temporal CLI binary found or buildable; install `temporal` or set SWITCHYARD_TEMPORAL_CLI (or set TEMPORAL_ADDRESS)');
  }
  const dev = await startDevServer({
    cliPath: cli.path,
    dbFile: path.join(opts.tempDir, 'temporal', 'dev.db'),
    port: 0,
    uiPort: null,
    namespace: opts.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_DEFS,
    log: opts.log,
  });
  opts.cleanup.add('Temporal dev server', () => dev.stop());
  return { address: dev.address, version: cli.version };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
