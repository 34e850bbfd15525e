import { mergePolicies } from '../api/policies';
import { pageLines, refreshCounts, type PageLine } from '../db/batches';
import { getKey } from '../db/keys';
import { NO_POLICY } from '../db/policies';
import type { Caller } from '../workflows/types';
import { processItem, type ItemDeps } from './process-item';

/** One page of a batch, as the workflow asks for it. */
export interface PageRequest {
  readonly batchId: string;
  readonly inputFileId: string;
  readonly caller: Caller;
  /** The page starts after this line number (0 = the file's start). */
  readonly afterLine: number;
  readonly pageSize: number;
  /** Items in flight at once. */
  readonly concurrency: number;
  /** Epoch ms of the completion window's end: no item starts after it. */
  readonly expiresAtMs: number;
}

/** What a page did. */
export interface PageResult {
  /** The page's last line number: the next page starts after it. */
  readonly lastLine: number;
  /** True when the page reached the end of the file. */
  readonly endOfFile: boolean;
  /** Items answered by this run of the page (not those answered before a retry). */
  readonly answered: number;
  /** True when the page stopped early (cancel or expiry); some of its items have no result. */
  readonly stopped: boolean;
}

/** How the page reports progress and learns it must stop. */
export interface PageControl {
  /** True once the batch is cancelled or the activity is being cancelled. */
  readonly cancelled: () => boolean;
  /** Called about every `progressIntervalMs` and at the end (heartbeat). */
  readonly progress: (answered: number) => void;
  readonly progressIntervalMs?: number;
}

/**
 * Runs one page: reads its lines (one query), skips those a previous attempt already answered,
 * and processes the rest with at most `concurrency` in flight. Every `progressIntervalMs` it
 * refreshes the batch's counters in Postgres (what GET shows) and reports progress. On cancel or
 * expiry it starts no new item and returns once the in-flight ones have finished.
 */
export async function runPage(deps: ItemDeps, req: PageRequest, control: PageControl): Promise<PageResult> {
  const lines = await pageLines(deps.pool, { batchId: req.batchId, fileId: req.inputFileId, afterLine: req.afterLine, limit: req.pageSize });
  const lastLine = lines.length > 0 ? lines[lines.length - 1]!.lineNo : req.afterLine;
  const endOfFile = lines.length < req.pageSize;
  const todo: PageLine[] = lines.filter((l) => !l.answered);
  if (todo.length === 0) return { lastLine, endOfFile, answered: 0, stopped: false };

  const key = await getKey(deps.pool, req.caller.keyId);
  // A key deleted since the batch started keeps running under no extra rules (as OpenAI runs it).
  const policy = key ? mergePolicies(key.tenantPolicy, key.keyPolicy) : mergePolicies(NO_POLICY, NO_POLICY);
  let stopped = false;
  const stopping = (): boolean => {
    if (!stopped && (control.cancelled() || Date.now() >= req.expiresAtMs)) stopped = true;
    return stopped;
  };
  let answered = 0;
  let next = 0;
  const ctx = { batchId: req.batchId, caller: req.caller, policy, stopping };
  // An item that throws (the database is gone, say) stops the page from starting more; the
  // others finish, then the activity fails and Temporal retries the page, which skips them.
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < todo.length && failure === undefined && !stopping()) {
      const line = todo[next++]!;
      try {
        if ((await processItem(deps, ctx, line)) === 'answered') answered++;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  const timer = setInterval(() => {
    control.progress(answered);
    refreshCounts(deps.pool, req.batchId).catch(() => undefined);
  }, control.progressIntervalMs ?? 500);
  try {
    await Promise.all(Array.from({ length: Math.min(req.concurrency, todo.length) }, worker));
  } finally {
    clearInterval(timer);
  }
  if (failure !== undefined) throw failure;
  await refreshCounts(deps.pool, req.batchId);
  control.progress(answered);
  return { lastLine, endOfFile: endOfFile && !stopped, answered, stopped };
}
