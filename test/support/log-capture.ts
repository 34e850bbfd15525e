import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../observability/logger';

/** A logger at `trace` whose lines are kept in memory, so a test can assert what was (not) logged. */
export function capturingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', destination: sink }), text: () => chunks.join('') };
}

/** Polls `probe` every 100 ms until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
