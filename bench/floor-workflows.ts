/**
 * The Temporal floor workflows the gateway's durable path is compared with. Bundled on their
 * own (workflowsPath), so they run in the same sandbox as the gateway's workflows. Each hands
 * its result to the `answers` sink as it returns, as the gateway's request workflows do (early
 * answers, `workflows/answer-sink.ts`), so the driver can answer the same way.
 */
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { RequestOutcome, SA } from '../temporal/search-attributes';
import { handAnswer } from '../workflows/answer-sink';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

/** One regular (not local) activity: the floor of `durable.attempts: activity` (two workflow tasks). */
export async function floorOneActivity(): Promise<void> {
  await noop();
  handAnswer(null);
}

/**
 * {@link floorLocalActivity} started with the gateway's five typed search attributes: a
 * diagnostic for what visibility costs.
 */
export async function floorSearchAttributes(): Promise<void> {
  await local.noop();
  handAnswer(null);
}

/**
 * One local activity: the floor of the durable path's default mechanism
 * (`durable.attempts: local_activity`, one workflow task in all), the one the checks use.
 */
export async function floorLocalActivity(): Promise<void> {
  await local.noop();
  handAnswer(null);
}

/** No activity: the least a workflow run costs (one workflow task). */
export async function floorEmpty(): Promise<void> {
  handAnswer(null);
}

/** The gateway's final upsert on success (`workflows/record-outcome.ts`), same keys and value types. */
function upsertOutcome(): void {
  upsertSearchAttributes([
    { key: SA.Tenant, value: 'default' },
    { key: SA.KeyId, value: 'key_bench' },
    { key: SA.Model, value: 'bench-model' },
    { key: SA.RequestKind, value: 'chat' },
    { key: SA.Outcome, value: RequestOutcome.Success },
    { key: SA.Provider, value: 'bench' },
    { key: SA.FallbackCount, value: 0 },
    { key: SA.CostUsd, value: 0.0001 },
  ]);
}

/** Diagnostic: {@link floorSearchAttributes} plus the gateway's outcome upsert in the completing task. */
export async function floorOutcome(): Promise<void> {
  await local.noop();
  upsertOutcome();
  handAnswer(null);
}

/** Diagnostic: {@link floorOutcome} carrying payloads of the gateway's sizes (input to the activity, result back). */
export async function floorGatewayShape(input: { payload: string; resultBytes: number }): Promise<string> {
  const result = await local.echo(input.payload, input.resultBytes);
  upsertOutcome();
  handAnswer(result);
  return result;
}
