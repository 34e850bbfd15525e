import type { Client, WorkflowHandle } from '@temporalio/client';

/**
 * A request workflow's handle once the workflow has closed. The HTTP answer of a durable request
 * can leave before the server has recorded the workflow's completion (early answers), so a test
 * that reads the history, status or search attributes right after the answer waits for this first.
 */
export async function closedWorkflow(client: Client, workflowId: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined);
  return handle;
}
