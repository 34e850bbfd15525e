import type { RetrySettings } from '../config/gateway-config';
import type { RouteAttempt } from '../config/route-plan';
import type { BudgetHold } from '../budget/charge';
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse } from '../providers/types';

/** Who is calling; copied onto search attributes, reservations and usage records. */
export interface Caller {
  readonly tenantId: string;
  /** The key's team; `null` for a key that belongs to its tenant directly. */
  readonly teamId: string | null;
  readonly keyId: string;
  /** The key's cost-allocation tags, copied onto its usage records. */
  readonly tags?: Readonly<Record<string, string>>;
}

interface PlannedCall {
  readonly requestId: string;
  readonly caller: Caller;
  /** Deployments in the order to try them: the model's own, then its fallbacks'. */
  readonly plan: readonly RouteAttempt[];
  readonly retry: RetrySettings;
  /** Upper bound for one attempt, in ms (the provider's timeout plus a margin). */
  readonly attemptTimeoutMs: number;
  /**
   * The client's deadline (`x-switchyard-timeout-ms`), epoch ms; absent without the header.
   * No attempt or fallback starts after it, and retries stop at it.
   */
  readonly deadlineAt?: number;
  /**
   * The budget hold the API took before starting the workflow (keyed by the workflow id).
   * With it, the served attempt's activity settles the cost itself and the workflow runs no
   * budget step on success. Absent only in histories recorded before the API held budgets:
   * those replay the old shape (reserve and settle as local activities).
   */
  readonly hold?: BudgetHold;
  /**
   * `local_activity`: the attempts run as local activities. Absent: regular activities (the
   * `activity` setting, and every history recorded before local attempts existed, which must
   * replay as they ran).
   */
  readonly attemptsAs?: 'local_activity';
}

export interface ChatWorkflowInput extends PlannedCall {
  /** The client's request without `stream`; `model` is the configured name the client asked for. */
  readonly request: ChatRequest;
}

export interface EmbeddingsWorkflowInput extends PlannedCall {
  readonly request: EmbeddingRequest;
}

export interface CallResult<T> {
  readonly response: T;
  /** The deployment that answered. */
  readonly served: RouteAttempt;
  /** Deployments tried before the one that answered (0 = first choice answered). */
  readonly fallbacks: number;
}

/** A served call after settlement. */
export interface BilledResult<T> extends CallResult<T> {
  /** What the request was charged, exact decimal USD (`"0"` for an unpriced model). */
  readonly costUsd: string;
}

export type ChatWorkflowResult = BilledResult<ChatCompletion>;
export type EmbeddingsWorkflowResult = BilledResult<EmbeddingResponse>;

/** Input of the provider activities: one attempt at one deployment. */
export interface ProviderCallInput<R> {
  readonly requestId: string;
  readonly attempt: RouteAttempt;
  readonly request: R;
  /** The policy Temporal applies; the activity uses it to add jitter to the next delay. */
  readonly retry: RetrySettings;
  /** The client's deadline, epoch ms: bounds the upstream call. */
  readonly deadlineAt?: number;
}

/** What an attempt that settles needs besides the call: whose hold to charge. */
export interface AttemptSettlement {
  /** The workflow id: the reservation the API held. */
  readonly reservationId: string;
  readonly caller: Caller;
  /** `BudgetHold.held`: false when no budget applied (settlement then writes the reservation row). */
  readonly held: boolean;
}

/** Input of the activities that call a deployment and settle the cost when it answers. */
export interface SettlingCallInput<R> extends ProviderCallInput<R> {
  readonly settlement: AttemptSettlement;
}

/** An answered attempt and what settling it charged. */
export interface SettledAttempt<T> {
  readonly response: T;
  /**
   * The cost charged, exact decimal USD; `null` when the ledger could not be reached in time:
   * the workflow then settles in a local activity with its own retries.
   */
  readonly costUsd: string | null;
}
