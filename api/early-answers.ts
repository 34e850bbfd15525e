/**
 * In-process hand-off of a request workflow's answer, from the interactive worker to the API
 * request waiting for it, in the same process.
 *
 * With eager start the workflow's first (and, for a request that succeeds, only) workflow task
 * runs in this process's worker. The workflow hands its result to the `answers` sink right before
 * it returns (`workflows/answer-sink.ts`); the SDK calls the sink as the workflow task's completion
 * leaves for the server. The API answers with that result instead of waiting for the server to
 * persist the completion, notify the long poll of `result()` and send the result back: about a
 * third of a durable request's latency here. By then the answering attempt has settled the cost
 * (the ledger write is in the attempt, before it returns), so a 200 still means the charge is
 * recorded; the workflow's own completion follows. `result()` runs alongside as the authority for
 * failures and for workflows that finish in another process; it is cancelled once the answer
 * arrives. See README "Early answers".
 */
export class EarlyAnswers {
  private readonly waiting = new Map<string, Set<(value: unknown) => void>>();

  /**
   * Waits for the answer of `workflowId`. Register before starting the workflow: the worker may
   * finish the eagerly started task before the start call returns.
   */
  wait(workflowId: string): EarlyAnswer {
    let resolve!: (value: unknown) => void;
    const promise = new Promise<unknown>((r) => (resolve = r));
    let waiters = this.waiting.get(workflowId);
    if (!waiters) this.waiting.set(workflowId, (waiters = new Set()));
    waiters.add(resolve);
    return {
      promise,
      cancel: () => {
        const current = this.waiting.get(workflowId);
        if (!current?.delete(resolve)) return;
        if (current.size === 0) this.waiting.delete(workflowId);
      },
    };
  }

  /** Hands `value` to every request waiting for `workflowId` in this process; none waiting: nothing. */
  deliver(workflowId: string, value: unknown): void {
    const waiters = this.waiting.get(workflowId);
    if (!waiters) return;
    this.waiting.delete(workflowId);
    for (const resolve of waiters) resolve(value);
  }

  /** Requests waiting (for tests and leak checks). */
  get size(): number {
    return this.waiting.size;
  }
}

/** One request's wait; `cancel` is idempotent and must be called when the request stops waiting. */
export interface EarlyAnswer {
  readonly promise: Promise<unknown>;
  cancel(): void;
}
