import { proxySinks, workflowInfo, type Sinks } from '@temporalio/workflow';

/**
 * The sink a request workflow hands its result to as it returns: the worker passes it to an API
 * request of the same process waiting for it (`api/early-answers.ts`). Fire-and-forget: it adds
 * no command to the history.
 */
export interface AnswerSinks extends Sinks {
  answers: {
    ready(result: unknown): void;
  };
}

const { answers } = proxySinks<AnswerSinks>();

/**
 * Hands a request workflow's result to the API request waiting in this worker's process, if any.
 * Not while replaying: nobody waits for a result recorded before, and replay workers (tests, the
 * replay tooling) do not register the sink. Reading `isReplaying` is safe here: the branch adds
 * no command either way.
 */
export function handAnswer(result: unknown): void {
  if (!workflowInfo().unsafe.isReplaying) answers.ready(result);
}
