/**
 * Where a one-activity workflow's time goes, by the server's own event times: the median span
 * between the events of the most recent closed runs of a workflow type. A development aid for
 * comparing the durable path with the Temporal floor (`bench/ab-durable.ts`, AB_TIMELINE=1);
 * payloads are not read, so encrypted histories need no key.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from './stats';

const EventType = temporal.api.enums.v1.EventType;

/** Spans of a one-activity workflow, named by the events that bound them. */
const SPANS = [
  ['start → first task done', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED],
  ['first task done → activity started', EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED],
  ['activity started → completed', EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED],
  ['activity completed → second task started', EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED],
  ['second task started → workflow completed', EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED],
  ['start → workflow completed', EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED],
] as const;

/** Median ms of each span over `runs` recent completed runs (the SQLite store lists newest first) of `workflowType` (at most 200). */
export async function historyTimeline(opts: { address: string; namespace: string; workflowType: string; runs: number }): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address: opts.address });
  try {
    const service = connection.workflowService;
    const listed = await service.listWorkflowExecutions({
      namespace: opts.namespace,
      query: `WorkflowType = '${opts.workflowType}' AND ExecutionStatus = 'Completed'`,
      pageSize: Math.min(opts.runs, 200),
    });
    const spans = new Map<string, number[]>();
    for (const execution of listed.executions ?? []) {
      const history = await service.getWorkflowExecutionHistory({ namespace: opts.namespace, execution: execution.execution, maximumPageSize: 100 });
      const events = history.history?.events ?? [];
      const afterActivity = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
      for (const [name, from, to] of SPANS) {
        // The second workflow task is the first one after the activity completed.
        const fromIndex = events.findIndex((e, i) => e.eventType === from && (!name.startsWith('second') || i > afterActivity));
        const toEvent = fromIndex < 0 ? undefined : events.slice(fromIndex + 1).find((e) => e.eventType === to);
        if (!toEvent) continue;
        const ms = millis(toEvent.eventTime) - millis(events[fromIndex]!.eventTime);
        spans.set(name, [...(spans.get(name) ?? []), ms]);
      }
    }
    return Object.fromEntries([...spans].map(([name, values]) => [name, percentile(values, 50) ?? Number.NaN]));
  } finally {
    await connection.close();
  }
}

function millis(time: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}
