import type { Request, Response } from 'express';
import { z } from 'zod';
import type { CircuitSettings } from '../../circuit/settings';
import { closedRecord, effectiveState, type CircuitRecord } from '../../circuit/state-machine';
import type { GatewayConfig } from '../../config/gateway-config';
import { changeCircuit, listCircuits } from '../../db/circuits';
import type { ApiDeps } from '../deps';
import { HttpError } from '../http-error';
import { actorOf } from '../middleware/admin-auth';
import { validateBody } from '../validation/validate';

/** Force-open duration: 1 s to 7 days; omitted = open until reset. */
const openSchema = z
  .object({
    duration_ms: z
      .number()
      .int()
      .min(1_000)
      .max(7 * 86_400_000)
      .optional(),
  })
  .strict();

function settingsBody(s: CircuitSettings) {
  return {
    enabled: s.enabled,
    window_ms: s.windowMs,
    min_failures: s.minFailures,
    failure_rate: s.failureRate,
    open_ms: s.openMs,
    half_open_probes: s.halfOpenProbes,
    successes_to_close: s.successesToClose,
    count_rate_limited: s.countRateLimited,
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function circuitBody(deps: ApiDeps, r: CircuitRecord, now: number) {
  const settings = deps.config.circuits.byDeployment.get(r.deployment) ?? deps.config.circuits.defaults;
  // The counters of the window that is current, or of the one that opened the circuit.
  const inWindow = r.state === 'open' || now - r.windowStart < settings.windowMs;
  return {
    object: 'circuit',
    deployment: r.deployment,
    state: effectiveState(r, now),
    open_until: iso(r.openUntil),
    forced: r.forced,
    reason: r.reason,
    changed_at: iso(r.changedAt),
    window_start: iso(r.windowStart),
    successes: inWindow ? r.successes : 0,
    failures: inWindow ? r.failures : 0,
    probe_successes: r.probeSuccesses,
    settings: settingsBody(settings),
  };
}

/** Every deployment id the config names, in config order, each once. */
function configuredDeployments(config: GatewayConfig): string[] {
  const ids = new Set<string>();
  for (const model of config.models.values()) for (const d of model.deployments) ids.add(d.id);
  return [...ids];
}

/** The `:deployment` of the URL (`provider/model`, with the slash written `%2F`); 404 when no model uses it. */
function deploymentParam(deps: ApiDeps, req: Request): string {
  const id = String(req.params.deployment);
  if (!configuredDeployments(deps.config).includes(id)) {
    throw new HttpError(404, `No configured deployment is called ${JSON.stringify(id)}; ids are \`provider/model\`, with the slash URL-encoded as %2F.`, {
      param: 'deployment',
      code: 'deployment_not_found',
    });
  }
  return id;
}

/**
 * GET /admin/circuits: every configured deployment's circuit as stored in Postgres (what every
 * instance converges to within the sync interval), with its window's counters and settings. A
 * deployment without a row yet is closed with empty counters.
 */
export function listCircuitsRoute(deps: ApiDeps) {
  return async function listCircuitsHandler(_req: Request, res: Response): Promise<void> {
    const now = Date.now();
    const stored = new Map((await listCircuits(deps.pool)).map((r) => [r.deployment, r]));
    const data = configuredDeployments(deps.config).map((id) => circuitBody(deps, stored.get(id) ?? closedRecord(id, now), now));
    res.json({ object: 'list', data });
  };
}

/**
 * POST /admin/circuits/:deployment/open `{duration_ms?}`: opens the circuit now, for
 * `duration_ms` (then it probes as usual) or until reset. Written through and audit-logged; this
 * instance applies it at once, the others within the sync interval.
 */
export function openCircuitRoute(deps: ApiDeps) {
  return async function openCircuitHandler(req: Request, res: Response): Promise<void> {
    const deployment = deploymentParam(deps, req);
    const body = validateBody(openSchema, req.body ?? {});
    const now = Date.now();
    const { record, transition } = await changeCircuit(deps.pool, { deployment, action: 'open', durationMs: body.duration_ms, actor: actorOf(res), now });
    deps.circuits?.adopt(record, transition);
    deps.logger.info({ deployment, durationMs: body.duration_ms ?? null }, 'circuit forced open');
    res.json(circuitBody(deps, record, now));
  };
}

/** POST /admin/circuits/:deployment/reset: closes the circuit and clears its counters; audit-logged. */
export function resetCircuitRoute(deps: ApiDeps) {
  return async function resetCircuitHandler(req: Request, res: Response): Promise<void> {
    const deployment = deploymentParam(deps, req);
    const now = Date.now();
    const { record, transition } = await changeCircuit(deps.pool, { deployment, action: 'reset', actor: actorOf(res), now });
    deps.circuits?.adopt(record, transition);
    deps.logger.info({ deployment }, 'circuit reset');
    res.json(circuitBody(deps, record, now));
  };
}
