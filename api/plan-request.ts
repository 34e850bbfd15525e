import type { ModelRoute } from '../config/gateway-config';
import { deploymentId, planRoute, type RouteAttempt } from '../config/route-plan';
import type { ClientKey } from './client-keys';
import type { ApiDeps } from './deps';
import { HttpError } from './http-error';
import { allowedPlan } from './policies';

/**
 * The route plan of one request: every deployment of the model and its fallbacks, ordered by
 * priority and the model's balancing strategy, less what the key's policy denies, less the
 * deployments whose circuit is open (a half-open one stays: the call may be a probe). Read from
 * memory only: no database round trip.
 *
 * @throws HttpError 503 `circuit_open` when every deployment the policy allows is open: the
 *   answer comes at once, with `Retry-After` set to when the first one starts probing. No probe
 *   is forced through: probes start on their own when a cool-down ends (or a health check passes).
 */
export function planRequest(deps: ApiDeps, key: ClientKey, route: ModelRoute): RouteAttempt[] {
  const plan = allowedPlan(key.policy, planRoute(deps.config, route, Math.random, deps.balancer));
  const circuits = deps.circuits;
  if (!circuits || plan.length === 0) return plan;
  const open = plan.map((a) => circuits.isOpen(deploymentId(a.provider, a.upstreamModel)));
  if (!open.includes(true)) return plan;
  const kept = plan.filter((_a, i) => !open[i]);
  if (kept.length > 0) return kept;
  const waits = plan.map((a) => circuits.retryAfterMs(deploymentId(a.provider, a.upstreamModel))).filter((ms): ms is number => ms !== undefined);
  const headers: Record<string, string> = {};
  if (waits.length > 0) headers['retry-after'] = String(Math.max(1, Math.ceil(Math.min(...waits) / 1000)));
  throw new HttpError(503, `Every deployment of \`${route.name}\` and its fallbacks is unavailable (circuit breaker open); nothing was sent upstream.`, {
    type: 'api_error',
    code: 'circuit_open',
    headers,
  });
}
