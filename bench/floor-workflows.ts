/**
 * The Temporal floor workflows the gateway's durable path is compared with. Bundled on their
 * own (workflowsPath), so they run in the same sandbox as the gateway's workflows.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** One regular (not local) activity: the same number of workflow tasks as a gateway request. */
export async function floorOneActivity(): Promise<void> {
  await noop();
}

/**
 * {@link floorOneActivity} started with the gateway's five typed search attributes (the
 * gateway upserts more only after a fallback, see `workflows/run-plan.ts`): a diagnostic for
 * what visibility costs.
 */
export async function floorSearchAttributes(): Promise<void> {
  await noop();
}

/** No activity: the least a workflow run costs (one workflow task). */
export async function floorEmpty(): Promise<void> {
  // Intentionally empty.
}
