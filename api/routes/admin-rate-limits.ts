import type { Request, Response } from 'express';
import { z } from 'zod';
import { deleteRateLimit, getRateLimit, putRateLimit, scopeExists, type RateLimitRow } from '../../db/rate-limits';
import { RateLimitScope, type ScopeRef } from '../../ratelimit/store';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { validateBody } from '../validation/validate';

/** Per-minute limits up to one billion: far above any real quota, well inside Postgres `integer`. */
const perMinute = z.number().int().positive().max(1_000_000_000).nullable().optional();

const putRateLimitSchema = z.object({ rpm: perMinute, tpm: perMinute }).strict();

function rateLimitBody(r: RateLimitRow) {
  return {
    object: 'rate_limit',
    scope: r.scope,
    scope_id: r.scopeId,
    rpm: r.rpm,
    tpm: r.tpm,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** The `:scope/:scope_id` of the URL; 400 for a scope other than `key` or `tenant`. */
function scopeRef(req: Request): ScopeRef {
  const scope = String(req.params.scope);
  const scopeId = String(req.params.scope_id);
  if (scope !== RateLimitScope.Key && scope !== RateLimitScope.Tenant) {
    throw new HttpError(400, `Invalid value for 'scope': expected "key" or "tenant".`, { param: 'scope', code: 'invalid_value' });
  }
  if (scopeId.length > 200) throw new HttpError(400, 'The scope id is too long.', { param: 'scope_id', code: 'invalid_value' });
  return { scope, scopeId };
}

function notFound(ref: ScopeRef): HttpError {
  return new HttpError(404, `The ${ref.scope} ${ref.scopeId} has no rate limit.`, { code: 'rate_limit_not_found' });
}

/**
 * PUT /admin/rate-limits/:scope/:scope_id `{rpm?, tpm?}`: sets (201) or replaces (200) a key's
 * or tenant's per-minute limits; an omitted or null measure is unlimited. This instance applies
 * it at once, others within the limits cache's TTL (5 s).
 */
export function putRateLimitRoute(deps: ApiDeps) {
  return async function putRateLimitHandler(req: Request, res: Response): Promise<void> {
    const ref = scopeRef(req);
    const body = validateBody(putRateLimitSchema, req.body);
    const rpm = body.rpm ?? null;
    const tpm = body.tpm ?? null;
    if (rpm === null && tpm === null) {
      throw new HttpError(400, "Set 'rpm', 'tpm' or both; to remove a limit, DELETE it.", { param: 'rpm', code: 'missing_required_parameter' });
    }
    if (!(await scopeExists(deps.pool, ref))) {
      throw new HttpError(404, `No ${ref.scope} with id ${ref.scopeId}.`, { param: 'scope_id', code: 'scope_not_found' });
    }
    const { row, created } = await putRateLimit(deps.pool, ref, { rpm, tpm });
    deps.rateLimiter.invalidate(ref);
    deps.logger.info({ scope: ref.scope, scopeId: ref.scopeId, rpm, tpm }, 'rate limit set');
    res.status(created ? 201 : 200).json(rateLimitBody(row));
  };
}

/** GET /admin/rate-limits/:scope/:scope_id; 404 when none is set. */
export function getRateLimitRoute(deps: ApiDeps) {
  return async function getRateLimitHandler(req: Request, res: Response): Promise<void> {
    const ref = scopeRef(req);
    const row = await getRateLimit(deps.pool, ref);
    if (!row) throw notFound(ref);
    res.json(rateLimitBody(row));
  };
}

/** DELETE /admin/rate-limits/:scope/:scope_id: the scope becomes unlimited; 404 when none was set. */
export function deleteRateLimitRoute(deps: ApiDeps) {
  return async function deleteRateLimitHandler(req: Request, res: Response): Promise<void> {
    const ref = scopeRef(req);
    if (!(await deleteRateLimit(deps.pool, ref))) throw notFound(ref);
    deps.rateLimiter.invalidate(ref);
    deps.logger.info({ scope: ref.scope, scopeId: ref.scopeId }, 'rate limit deleted');
    res.json({ object: 'rate_limit', scope: ref.scope, scope_id: ref.scopeId, deleted: true });
  };
}
