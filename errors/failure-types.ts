/**
 * One vocabulary of failure types, shared by providers, activities, workflows and the HTTP
 * error middleware. Activities throw `ApplicationFailure.create({ type })` with these values,
 * workflows branch on `failure.type`, and `api/` maps them to HTTP statuses in one place.
 *
 * Kept free of Node imports: workflow code imports it inside the sandbox.
 */
export const FailureType = {
  /** Upstream answered 429 (or 503 with Retry-After). Retryable, honours Retry-After. */
  ProviderRateLimited: 'ProviderRateLimited',
  /** Upstream answered 5xx. Retryable. */
  ProviderServerError: 'ProviderServerError',
  /** Upstream did not answer within the attempt's timeout. Retryable. */
  ProviderTimeout: 'ProviderTimeout',
  /** Connection refused/reset before an answer. Retryable. */
  ProviderConnection: 'ProviderConnection',
  /** Upstream answered 2xx with a body that could not be parsed. Retryable (next attempt/deployment). */
  ProviderBadResponse: 'ProviderBadResponse',
  /** Upstream answered 400/422. Not retryable. */
  ProviderBadRequest: 'ProviderBadRequest',
  /** Prompt longer than the model's context window. Not retryable. */
  ProviderContextLength: 'ProviderContextLength',
  /** Upstream answered 401/403. Not retryable on this deployment. */
  ProviderAuth: 'ProviderAuth',
  /** Upstream answered 404 (unknown model/deployment). Not retryable on this deployment. */
  ProviderNotFound: 'ProviderNotFound',
  /** The request uses a feature this provider cannot serve (e.g. `n > 1` on Anthropic). */
  ProviderUnsupported: 'ProviderUnsupported',
  /** The client's request is invalid (validation, unknown model). */
  InvalidRequest: 'InvalidRequest',
  /**
   * A budget (key, team or tenant) has no room for the request's estimate. Not retryable and
   * request-fatal: nothing was called upstream, and no deployment would be cheaper to ask for
   * (the reservation already takes the largest estimate of the plan). Details: `BudgetRefusal`.
   */
  BudgetExceeded: 'BudgetExceeded',
  /**
   * A deployment of the plan has no known price and a budget applies to the caller: charging
   * zero would let the budget be overrun. Not retryable, request-fatal. Details: `{ models }`.
   */
  PriceUnknown: 'PriceUnknown',
  /**
   * The deployment's circuit breaker is open (or its half-open probe slots are taken): nothing
   * was sent. Not retryable on this deployment; the plan moves on to the next one.
   */
  CircuitOpen: 'CircuitOpen',
  /**
   * The client's deadline (`x-switchyard-timeout-ms`) passed: no further attempt or fallback is
   * made. Not retryable, request-fatal.
   */
  RequestTimeout: 'RequestTimeout',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failure types Temporal must not retry on the same deployment. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly FailureType[] = [
  FailureType.ProviderBadRequest,
  FailureType.ProviderContextLength,
  FailureType.ProviderAuth,
  FailureType.ProviderNotFound,
  FailureType.ProviderUnsupported,
  FailureType.InvalidRequest,
  FailureType.BudgetExceeded,
  FailureType.PriceUnknown,
  FailureType.CircuitOpen,
  FailureType.RequestTimeout,
];

/**
 * Failure types that end the whole request: trying another deployment or a fallback model
 * cannot help because the request itself is at fault.
 */
export const REQUEST_FATAL_FAILURE_TYPES: readonly FailureType[] = [
  FailureType.ProviderBadRequest,
  FailureType.ProviderContextLength,
  FailureType.InvalidRequest,
  FailureType.BudgetExceeded,
  FailureType.PriceUnknown,
  FailureType.RequestTimeout,
];

export function isFailureType(value: unknown): value is FailureType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FailureType, value);
}
