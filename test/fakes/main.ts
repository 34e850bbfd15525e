/**
 * Runs the fake upstream on PORT (default 9999) without recording, for manual use and
 * benchmarks. Prints the base URL on stdout; stops on SIGINT or SIGTERM.
 */
import { startFakeUpstream } from './index';

const DEFAULT_PORT = 9999;

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? DEFAULT_PORT : Number(process.env.PORT);
  const upstream = await startFakeUpstream({ port, record: false });
  process.stdout.write(`${upstream.url}\n`);
  const stop = (): void => {
    upstream.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake upstream failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
