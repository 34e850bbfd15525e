import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Anything that could carry a secret or prompt text is redacted by path,
 * as a second line of defence: call sites log ids, models, statuses and timings only.
 */
/** `destination`: where lines go (default stdout); tests pass one to read the logs back. */
export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name ?? 'switchyard',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        'headers.authorization',
        'apiKey',
        '*.apiKey',
        'key',
        '*.key',
        'messages',
        '*.messages',
        'prompt',
        '*.prompt',
        'input',
        '*.input',
      ],
      censor: '[redacted]',
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
