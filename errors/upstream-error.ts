import type { FailureType } from './failure-types';

/** Structured fields of an upstream failure; survives a trip through Temporal as failure details. */
export interface UpstreamErrorDetails {
  readonly failureType: FailureType;
  /** HTTP status the upstream answered, or undefined for connection errors and timeouts. */
  readonly status?: number;
  /** Delay the upstream asked for (Retry-After), in milliseconds. */
  readonly retryAfterMs?: number;
  /** Provider id from the config (e.g. `openai`, `anthropic-eu`). */
  readonly provider?: string;
  /** OpenAI-style error code (`context_length_exceeded`, `rate_limit_exceeded`, …). */
  readonly code?: string | null;
  readonly param?: string | null;
}

/**
 * The one error type provider adapters throw. `message` is the upstream's message, never
 * containing credentials or prompt text.
 */
export class UpstreamError extends Error implements UpstreamErrorDetails {
  readonly failureType: FailureType;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly provider?: string;
  readonly code?: string | null;
  readonly param?: string | null;

  constructor(message: string, details: UpstreamErrorDetails) {
    super(message);
    this.name = 'UpstreamError';
    this.failureType = details.failureType;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.provider = details.provider;
    this.code = details.code;
    this.param = details.param;
  }

  toDetails(): UpstreamErrorDetails {
    return {
      failureType: this.failureType,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      provider: this.provider,
      code: this.code,
      param: this.param,
    };
  }
}
