import type { NextFunction, Request, Response } from 'express';
import type { KeyRecord } from '../../db/keys';
import { formatDuration, rateLimitHeaders, retryAfterSeconds } from '../../ratelimit/headers';
import type { RateLimiter } from '../../ratelimit/rate-limiter';
import { estimateRequestTokens } from '../../ratelimit/request-tokens';
import { Measure } from '../../ratelimit/sliding-window';
import { HttpError } from '../http-error';

/** Seconds a client is told to wait when its request alone exceeds a tokens-per-minute limit. */
const TOO_LARGE_RETRY_AFTER_S = 60;

/**
 * Enforces the key's and its tenant's requests- and tokens-per-minute limits (after client auth
 * and body parsing). When a limit applies, every response carries OpenAI's `x-ratelimit-*`
 * headers; over a limit the answer is 429 `rate_limit_exceeded` with `Retry-After` (seconds).
 * A key with no limits anywhere costs two map lookups: its "no limits" is cached like the limits.
 */
export function rateLimit(limiter: RateLimiter) {
  return async function rateLimitMiddleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    const key = res.locals.key as KeyRecord;
    const limits = limiter.peekLimits(key) ?? (await limiter.loadLimits(key));
    if (limits.length === 0) {
      next();
      return;
    }
    const tokens = limits.some((l) => l.tpm !== null) ? estimateRequestTokens(req.body) : 0;
    const admission = await limiter.admit(limits, tokens);
    for (const [name, value] of Object.entries(rateLimitHeaders(admission))) res.setHeader(name, value);
    if (admission.admitted) {
      next();
      return;
    }
    const by = admission.refusedBy!;
    // For the rejection metric's labels (bounded: key|tenant × requests|tokens).
    res.locals.rateLimitedBy = { scope: by.ref.scope, measure: by.measure };
    const wait = admission.retryAfterMs ?? 0;
    const retryAfter = Number.isFinite(wait) ? retryAfterSeconds(wait) : TOO_LARGE_RETRY_AFTER_S;
    const what = by.measure === Measure.Requests ? 'requests per minute (rpm)' : 'tokens per minute (tpm)';
    const message = Number.isFinite(wait)
      ? `Rate limit reached for ${what} on ${by.ref.scope} ${by.ref.scopeId}: limit ${by.limit}, requested ${by.requested}. Please try again in ${formatDuration(wait)}.`
      : `Request too large for ${what} on ${by.ref.scope} ${by.ref.scopeId}: limit ${by.limit}, requested ${by.requested}. Send fewer tokens or a lower max_tokens.`;
    throw new HttpError(429, message, { type: 'rate_limit_error', code: 'rate_limit_exceeded', headers: { 'retry-after': String(retryAfter) } });
  };
}
