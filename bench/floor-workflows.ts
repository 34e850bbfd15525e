/**
 * The Temporal floor workflows the gateway's durable path is compared with. Bundled on their
 * own (workflowsPath), so they run in the same sandbox as the gateway's workflows.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { SA } from '../temporal/search-attributes';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** One regular (not local) activity: the same number of workflow tasks as a gateway request. */
export async function floorOneActivity(): Promise<void> {
  await noop();
}

/**
 * {@link floorOneActivity} plus the gateway's search-attribute writes (it is started with four
 * typed search attributes and upserts three after the call, as `workflows/run-plan.ts` does):
 * a diagnostic for what visibility costs.
 */
export async function floorSearchAttributes(): Promise<void> {
  await noop();
  upsertSearchAttributes([
    { key: SA.Provider, value: 'bench' },
    { key: SA.FallbackCount, value: 0 },
    { key: SA.Outcome, value: 'success' },
  ]);
}

/** No activity: the least a workflow run costs (one workflow task). */
export async function floorEmpty(): Promise<void> {
  // Intentionally empty.
}
