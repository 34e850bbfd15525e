import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './load-config';

const boolFlag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  SWITCHYARD_CONFIG: z.string().default('switchyard.yaml'),
  SWITCHYARD_DATA_DIR: z.string().default('.data'),
  /** Seed price list loaded at start; default: the committed prices/prices.yaml. */
  SWITCHYARD_PRICES_FILE: z.string().min(1).optional(),
  SWITCHYARD_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SWITCHYARD_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).default(5_000),
  /** Master key sealing secrets at rest: base64 of 32 bytes, or a file holding it. */
  SWITCHYARD_MASTER_KEY: z.string().min(1).optional(),
  SWITCHYARD_MASTER_KEY_FILE: z.string().min(1).optional(),
  /**
   * Colon-separated absolute directories that `file:` credential references (POST
   * /admin/credentials) may read from; unset: `file:` references are refused.
   */
  SWITCHYARD_CREDENTIAL_FILE_DIRS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(':')
        .map((dir) => dir.trim())
        .filter((dir) => dir !== ''),
    )
    .refine((dirs) => dirs.every((dir) => path.isAbsolute(dir)), 'must list absolute paths, separated by colons'),
  /** Whether `npm run api` also polls the interactive task queue (needed for eager start). */
  SWITCHYARD_API_WORKER: boolFlag,
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: boolFlag,
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  /** Workflow-history keyring `id:base64-32-bytes,id2:…` (first encrypts, all decrypt); see docs/history-encryption.md. */
  SWITCHYARD_HISTORY_KEYS: z.string().min(1).optional(),
  /** File holding the keyring (same format, one entry per line allowed); used when SWITCHYARD_HISTORY_KEYS is unset. */
  SWITCHYARD_HISTORY_KEYS_FILE: z.string().min(1).optional(),
  /** `off` writes workflow history in plain text; the only way to run outside `npm start` without a keyring. */
  SWITCHYARD_HISTORY_ENCRYPTION: z.enum(['on', 'off']).default('on'),
  /** Comma-separated browser origins allowed to call /codec/* (the Temporal UI); default its local dev origins. */
  SWITCHYARD_CODEC_CORS_ORIGINS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ?.split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    ),
  /** OpenTelemetry tracing (observability/tracing.ts): on when either endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Process settings from the environment, parsed once at start. */
export type RuntimeEnv = z.infer<typeof envSchema>;

/** Parses the environment; throws ConfigError naming the bad variable. */
export function readRuntimeEnv(env: Readonly<Record<string, string | undefined>> = process.env): RuntimeEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  return Object.freeze(parsed.data);
}
