import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths redacted in every log line: credentials (client keys, admin tokens, provider keys,
 * Authorization headers, cookies) and content (prompts, completions, request and response
 * bodies). A second line of defence: call sites log ids, models, statuses, timings, token
 * counts and costs, never a body or a header set.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["api-key"]',
  '*.headers["api-key"]',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'adminToken',
  'password',
  '*.password',
  'messages',
  '*.messages',
  'prompt',
  '*.prompt',
  'input',
  '*.input',
  'content',
  '*.content',
  'completion',
  '*.completion',
  'choices',
  '*.choices',
  'body',
  '*.body',
  'requestBody',
  'responseBody',
];

/**
 * Structured JSON logs (pino), one object per line, with `REDACTED_PATHS` censored.
 *
 * @param level default `LOG_LEVEL`, else `info`.
 * @param destination where lines go; default stdout (tests pass a stream to read them back).
 */
export function createLogger(opts: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const options = {
    name: opts.name ?? 'switchyard',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
