/**
 * Where a one-activity workflow's time goes, by the server's own event times: the median span
 * between the events of the most recent closed runs of a workflow type. A development aid for
 * comparing the durable path with the Temporal floor (`bench/ab-durable.ts`, AB_TIMELINE=1);
 * payloads are not decoded (only their encoded sizes are counted), so encrypted histories need no key.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from './stats';

const EventType = temporal.api.enums.v1.EventType;

/**
 * Spans of a one-activity workflow, named by the events that bound them; `afterActivity` picks
 * the first `from` event after the activity completed (the second workflow task).
 */
const SPANS: ReadonlyArray<{ name: string; from: number; to: number; afterActivity?: true }> = [
  { name: 'start → first task done', from: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, to: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED },
  { name: 'first task done → activity started', from: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, to: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED },
  { name: 'activity started → completed', from: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, to: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED },
  { name: 'activity completed → second task started', from: EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, to: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED },
  {
    name: 'second task started → workflow completed',
    from: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    to: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    afterActivity: true,
  },
  { name: 'start → workflow completed', from: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, to: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED },
];

/**
 * Median ms of each span over up to `runs` (at most 200) recent completed runs of `workflowType`
 * (the SQLite visibility store lists newest first).
 */
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
      for (const { name, from, to, afterActivity: onlyAfterActivity } of SPANS) {
        const fromIndex = events.findIndex((e, i) => e.eventType === from && (!onlyAfterActivity || i > afterActivity));
        const toEvent = fromIndex < 0 ? undefined : events.slice(fromIndex + 1).find((e) => e.eventType === to);
        if (!toEvent) continue;
        const values = spans.get(name) ?? [];
        values.push(millis(toEvent.eventTime) - millis(events[fromIndex]!.eventTime));
        spans.set(name, values);
      }
      for (const [name, bytes] of payloadSizes(events)) spans.set(name, [...(spans.get(name) ?? []), bytes]);
    }
    return Object.fromEntries([...spans].map(([name, values]) => [name, percentile(values, 50) ?? Number.NaN]));
  } finally {
    await connection.close();
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Encoded bytes (data and metadata) of payloads. */
function sizeOf(payloads: temporal.api.common.v1.IPayloads | null | undefined): number {
  return (payloads?.payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0) + Object.values(p.metadata ?? {}).reduce((m, v) => m + v.length, 0), 0);
}

/** The encoded sizes of the run's payloads, as `bytes: …` entries: start input and memo, activity input and result, workflow result. */
function payloadSizes(events: readonly HistoryEvent[]): Array<[string, number]> {
  const sizes: Array<[string, number]> = [];
  for (const e of events) {
    const started = e.workflowExecutionStartedEventAttributes;
    if (started) {
      sizes.push(['bytes: workflow input', sizeOf(started.input)]);
      sizes.push(['bytes: memo', Object.values(started.memo?.fields ?? {}).reduce((sum, p) => sum + (p.data?.length ?? 0), 0)]);
    }
    if (e.activityTaskScheduledEventAttributes) sizes.push(['bytes: activity input', sizeOf(e.activityTaskScheduledEventAttributes.input)]);
    if (e.activityTaskCompletedEventAttributes) sizes.push(['bytes: activity result', sizeOf(e.activityTaskCompletedEventAttributes.result)]);
    if (e.workflowExecutionCompletedEventAttributes) sizes.push(['bytes: workflow result', sizeOf(e.workflowExecutionCompletedEventAttributes.result)]);
  }
  return sizes;
}

function millis(time: HistoryEvent['eventTime']): number {
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}
