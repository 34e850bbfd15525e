import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityFunctionWithOptions,
  type ActivityOptions,
  type LocalActivityFunctionWithOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { ProviderActivities } from '../activities/provider-activities';
import type { ChatWorkflowInput } from './types';

/** The provider activities an attempt can run as. */
type AttemptActivities = Pick<ProviderActivities, 'callChatAndSettle' | 'callEmbeddingsAndSettle'>;
type AttemptActivity = keyof AttemptActivities;

// Options are set per call (runPlan: retry policy, timeouts and summary per deployment).
const regular = proxyActivities<AttemptActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<AttemptActivities>({ startToCloseTimeout: '1 minute' });

/**
 * Runs one deployment's attempts as the workflow input says (`attemptsAs`): as a local
 * activity, or as a regular activity with the same retry policy, timeouts and summary. The
 * activity code is the same either way; a local activity has no heartbeat (a worker that dies is
 * noticed by the workflow task's timeout instead, and the next worker runs the attempt again).
 */
export function attemptActivity<K extends AttemptActivity>(
  input: Pick<ChatWorkflowInput, 'attemptsAs'>,
  name: K,
): (options: ActivityOptions, args: Parameters<AttemptActivities[K]>) => Promise<Awaited<ReturnType<AttemptActivities[K]>>> {
  if (input.attemptsAs === 'local_activity') {
    const fn = local[name] as LocalActivityFunctionWithOptions<AttemptActivities[K]>;
    return (options, args) => fn.executeWithOptions(localActivityOptions(options), args);
  }
  const fn = regular[name] as ActivityFunctionWithOptions<AttemptActivities[K]>;
  return (options, args) => fn.executeWithOptions(options, args);
}

/** A regular attempt's options as a local activity's: all but the heartbeat timeout carry over. */
export function localActivityOptions(options: ActivityOptions): LocalActivityOptions {
  return {
    ...(options.summary === undefined ? {} : { summary: options.summary }),
    ...(options.startToCloseTimeout === undefined ? {} : { startToCloseTimeout: options.startToCloseTimeout }),
    ...(options.scheduleToCloseTimeout === undefined ? {} : { scheduleToCloseTimeout: options.scheduleToCloseTimeout }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  };
}
