import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** A workflow's history exactly as the server stores and serves it. */
export interface RawHistory {
  /** The protobuf bytes of the GetWorkflowExecutionHistory response. */
  readonly bytes: Buffer;
  /** Every payload in it, with the path it was found at (`events.3.activityTaskScheduledEventAttributes.input.payloads.0`). */
  readonly payloads: ReadonlyArray<{ readonly path: string; readonly payload: Payload }>;
}

/**
 * Reads a closed workflow's history straight from the server (the workflow service's RPC, no
 * data converter involved) after waiting for the workflow to close.
 */
export async function readRawHistory(client: Client, workflowId: string): Promise<RawHistory> {
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1000,
  });
  if (response.nextPageToken?.length) throw new Error(`history of ${workflowId} has more than one page`);
  const bytes = Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(response).finish());
  const payloads: Array<{ path: string; payload: Payload }> = [];
  collectPayloads(response.history, 'history', payloads);
  return { bytes, payloads };
}

function collectPayloads(node: unknown, path: string, out: Array<{ path: string; payload: Payload }>): void {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
  const record = node as Record<string, unknown>;
  if (record.data instanceof Uint8Array && typeof record.metadata === 'object' && record.metadata !== null) {
    out.push({ path, payload: record as Payload });
    return;
  }
  for (const [key, value] of Object.entries(record)) collectPayloads(value, `${path}.${key}`, out);
}

/** All the bytes a history holds once its payloads are decoded (each decoded payload's data, joined). */
export async function decodedText(codec: PayloadCodec, history: RawHistory): Promise<string> {
  const decoded = await codec.decode(history.payloads.map((p) => p.payload));
  return decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
}

/**
 * The payloads the data converter writes: not search attributes (plain by design, indexed by the
 * server), headers, or the SDK core's local-activity marker record (`details.data`: seq, attempt,
 * activity id and type, times), which never holds application data.
 */
export function userPayloads(history: RawHistory): RawHistory['payloads'] {
  return history.payloads.filter(({ path }) => !/searchAttributes|header|markerRecordedEventAttributes\.details\.data\./i.test(path));
}
