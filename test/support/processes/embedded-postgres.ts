/**
 * Starts an embedded Postgres on PG_DATA_DIR and prints `url <postgres://…>`, then waits to be
 * killed: the restart test kills it with SIGKILL, which leaves the server running without it.
 */
import { startEmbeddedPostgres } from '../../../db/embedded-postgres';

async function main(): Promise<void> {
  const pg = await startEmbeddedPostgres({ dataDir: process.env.PG_DATA_DIR!, port: 0, log: () => undefined });
  process.stdout.write(`url ${pg.url}\n`);
  setInterval(() => undefined, 60_000);
}

main().catch((err: unknown) => {
  process.stderr.write(`embedded postgres process failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
