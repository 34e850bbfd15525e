import type { Response } from 'express';
import type { ModelRoute } from '../config/gateway-config';
import type { RouteAttempt } from '../config/route-plan';
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse } from '../providers/types';
import { requestMemo } from '../temporal/request-memo';
import { SA } from '../temporal/search-attributes';
import { WorkflowIdPrefix, chatWorkflowId, embeddingsWorkflowId } from '../temporal/workflow-ids';
import { workflowTimeoutMs } from '../workflows/deadlines';
import type { BilledResult, Caller } from '../workflows/types';
import type { ClientKey } from './client-keys';
import type { ApiDeps } from './deps';
import { executeRequestWorkflow } from './durable-call';
import { idempotentId } from './idempotency';
import { planAttemptTimeoutMs } from './resolve-model';
import { recordServed, recordUsage, setServedHeaders } from './routes/served';
import { releaseCall } from '../budget/charge';
import { chargeDeps, holdBudget } from './budget-hold';

/**
 * How long a request's hold outlives its workflow's own timeout before the sweeper may release
 * it: the workflow starts just after the hold, and settles at the latest when it times out.
 */
const HOLD_SLACK_MS = 60_000;

/** The durable request kinds and what differs between them. */
const KINDS = {
  chat: { workflowType: 'chatCompletionWorkflow', prefix: WorkflowIdPrefix.Chat, workflowId: chatWorkflowId, operation: 'chat' },
  embeddings: { workflowType: 'embeddingsWorkflow', prefix: WorkflowIdPrefix.Embeddings, workflowId: embeddingsWorkflowId, operation: 'embeddings' },
} as const;

type DurableCall =
  | { readonly kind: 'chat'; readonly clientRequest: unknown; readonly request: ChatRequest }
  | { readonly kind: 'embeddings'; readonly clientRequest: unknown; readonly request: EmbeddingRequest };

/** The caller as the workflows and the money path see it. */
export function callerOf(key: ClientKey): Caller {
  return { tenantId: key.tenantId, teamId: key.teamId, keyId: key.id, tags: key.tags };
}

/**
 * Runs one non-streaming request as its workflow and answers with its result: the
 * Idempotency-Key claim (against the client's own request, before any policy changed it; the
 * route has checked the header's form), the workflow input and search attributes, the
 * served/cost headers and the token metrics. Shared by chat completions and embeddings, which
 * differ only in workflow type and id prefix.
 */
export async function answerDurably(
  deps: ApiDeps,
  res: Response,
  opts: {
    key: ClientKey;
    route: ModelRoute;
    plan: readonly RouteAttempt[];
    call: DurableCall;
    /** The checked `Idempotency-Key` header (`idempotencyKeyOf`), undefined without one. */
    idempotencyKey: string | undefined;
    deadlineAt?: number;
  },
): Promise<void> {
  const kind = KINDS[opts.call.kind];
  const requestId = res.locals.requestId as string;
  const idemId = await idempotentId({
    pool: deps.pool,
    idempotencyKey: opts.idempotencyKey,
    keyId: opts.key.id,
    windowMs: deps.config.idempotencyWindowMs,
    prefix: kind.prefix,
    body: opts.call.clientRequest,
  });
  const planned = {
    requestId,
    caller: callerOf(opts.key),
    plan: opts.plan,
    retry: deps.config.retry,
    attemptTimeoutMs: planAttemptTimeoutMs(deps.config, opts.plan),
    ...(deps.config.durableAttempts === 'local_activity' ? { attemptsAs: 'local_activity' as const } : {}),
    ...(opts.deadlineAt === undefined ? {} : { deadlineAt: opts.deadlineAt }),
  };
  const workflowId = idemId ?? kind.workflowId(requestId);
  const timeoutMs = boundedByDeadline(workflowTimeoutMs(planned), opts.deadlineAt);
  // The hold is taken here, keyed by the workflow id, so the workflow needs no budget step
  // before its first attempt; a refusal is answered without starting one. Idempotent: a retried
  // request under the same Idempotency-Key gets the first hold (or refusal) back.
  const charge = chargeDeps(deps);
  const hold = await holdBudget(charge, {
    reservationId: workflowId,
    caller: planned.caller,
    plan: opts.plan,
    call: opts.call,
    ttlMs: timeoutMs + HOLD_SLACK_MS,
    budgeted: opts.key.budgeted,
  });
  const input = { ...planned, request: opts.call.request, hold };
  const result = await executeRequestWorkflow<BilledResult<ChatCompletion | EmbeddingResponse>>(deps, {
    workflowType: kind.workflowType,
    workflowId,
    idempotent: idemId !== undefined,
    input,
    searchAttributes: [
      { key: SA.Tenant, value: opts.key.tenantId },
      { key: SA.KeyId, value: opts.key.id },
      { key: SA.Model, value: opts.route.name },
      { key: SA.Provider, value: opts.plan[0]?.provider ?? 'none' },
      { key: SA.RequestKind, value: opts.call.kind },
    ],
    memo: { ...requestMemo(opts.route.name, opts.plan) },
    timeoutMs,
    kind: opts.call.kind,
    onNotStarted: hold.held ? () => releaseCall(charge, workflowId) : undefined,
  });
  setServedHeaders(res, result);
  recordUsage(deps.metrics, result.served, result.response.usage, kind.operation);
  recordServed(deps.metrics, res, {
    served: result.served,
    tenantId: opts.key.tenantId,
    usage: result.response.usage,
    costUsd: result.costUsd,
    fallbacks: result.fallbacks,
    path: 'durable',
  });
  res.json(result.response);
}

/**
 * Slack after the client's deadline for the workflow to hand back its budget hold and fail with
 * `RequestTimeout` itself (its activities are already cut to the deadline).
 */
const DEADLINE_SLACK_MS = 10_000;

function boundedByDeadline(timeoutMs: number, deadlineAt: number | undefined): number {
  if (deadlineAt === undefined) return timeoutMs;
  return Math.min(timeoutMs, Math.max(1, deadlineAt - Date.now()) + DEADLINE_SLACK_MS);
}
