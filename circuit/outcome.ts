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

/**
 * Timer slack when deciding whether a timeout was the client's deadline: a timer set for the time
 * left can fire a millisecond before `Date.now()` reaches the deadline.
 */
const DEADLINE_SLACK_MS = 5;

/**
 * The outcome of a failed call made under the client's deadline (`x-switchyard-timeout-ms`): a
 * timeout that fired because that deadline came is the client's choice, not the deployment's
 * trouble, and is neutral (else one client with a short deadline could open a circuit every
 * tenant shares); anything else as {@link outcomeOfFailure}.
 *
 * @param deadlineAt the client's deadline (epoch ms), if it set one.
 */
export function outcomeOfFailureBefore(
  failureType: string | undefined,
  settings: CircuitSettings,
  deadlineAt: number | undefined,
  now: number = Date.now(),
): CallOutcome {
  if (failureType === FailureType.ProviderTimeout && deadlineAt !== undefined && now >= deadlineAt - DEADLINE_SLACK_MS) return CallOutcome.Neutral;
  return outcomeOfFailure(failureType, settings);
}
