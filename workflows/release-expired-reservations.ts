import { proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { BudgetActivities } from '../activities/budget-activities';
import { RequestKind } from '../temporal/search-attributes';
import { recordTaskOutcome } from './record-outcome';

/** A failed sweep is retried briefly; the next scheduled run (a minute later) picks up the rest. */
export const SWEEP_RETRY: RetryPolicy = { maximumAttempts: 3, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' };

// A regular activity: a sweep may touch many reservations, and its retries should show in the UI.
const { releaseExpiredReservations } = proxyActivities<BudgetActivities>({ startToCloseTimeout: '1 minute', retry: SWEEP_RETRY });

/**
 * Started every minute by the `switchyard-budget-sweeper` Schedule: hands back the holds of
 * requests whose process died before settling or releasing (a terminated workflow, an API
 * process killed mid-stream). Returns how many holds it released.
 */
export async function releaseExpiredReservationsWorkflow(): Promise<number> {
  return recordTaskOutcome(RequestKind.BudgetSweep, () => releaseExpiredReservations());
}
