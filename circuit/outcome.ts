import { FailureType } from '../errors/failure-types';
import type { CircuitSettings } from './settings';

/** How one upstream call counts for its deployment's circuit. */
export const CallOutcome = { Success: 'success', Failure: 'failure', Neutral: 'neutral' } as const;
export type CallOutcome = (typeof CallOutcome)[keyof typeof CallOutcome];

/**
 * Only the upstream's own trouble counts against it: 5xx, timeouts, connection errors, unusable
 * 2xx bodies and (unless `count_rate_limited: false`) 429. The client's errors (400, context
 * length, unsupported features), the gateway's refusals (budget, price, policy), configuration
 * faults (401/403/404: no retry helps, and they fail fast anyway) and aborts are neutral.
 */
export function outcomeOfFailure(failureType: string | undefined, settings: CircuitSettings): CallOutcome {
  switch (failureType) {
    case FailureType.ProviderServerError:
    case FailureType.ProviderTimeout:
    case FailureType.ProviderConnection:
    case FailureType.ProviderBadResponse:
      return CallOutcome.Failure;
    case FailureType.ProviderRateLimited:
      return settings.countRateLimited ? CallOutcome.Failure : CallOutcome.Neutral;
    default:
      return CallOutcome.Neutral;
  }
}
