import type { RouteAttempt } from '../config/route-plan';

/** One deployment of a request's route plan, as the workflow's memo shows it. */
export interface RoutePlanStep {
  /** The configured model this deployment serves: the requested one, or a fallback. */
  readonly model: string;
  readonly provider: string;
  readonly upstreamModel: string;
  /** True for a deployment of a fallback model. */
  readonly fallback: boolean;
}

/**
 * The memo a request workflow starts with: its route plan, the deployments in the order they
 * will be tried. Ops read it in the Temporal UI ("Memo" on the workflow page) to see what a
 * request could have fallen back to; it is not searchable. The memo goes through the payload
 * codec like any payload, and holds no prompt text.
 */
export interface RequestMemo {
  readonly routePlan: readonly RoutePlanStep[];
}

/** Builds the {@link RequestMemo} of a request for `requestedModel` with this plan. */
export function requestMemo(requestedModel: string, plan: readonly RouteAttempt[]): RequestMemo {
  return {
    routePlan: plan.map((attempt) => ({
      model: attempt.model,
      provider: attempt.provider,
      upstreamModel: attempt.upstreamModel,
      fallback: attempt.model !== requestedModel,
    })),
  };
}
