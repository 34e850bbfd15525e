import type { NextFunction, Request, Response } from 'express';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { UpstreamError } from '../../errors/upstream-error';
import { databaseValueErrorToHttp } from '../database-value-error';
import { upstreamErrorToHttp, workflowFailureToHttp } from '../failure-to-http';
import { HttpError } from '../http-error';
import type { Logger } from '../../observability/logger';

/** body-parser's errors carry a `type` and `status`. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps any thrown value to an HttpError: the single place errors become responses. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof UpstreamError) return upstreamErrorToHttp(err);
  if (err instanceof WorkflowFailedError) return workflowFailureToHttp(err);
  const badValue = databaseValueErrorToHttp(err);
  if (badValue) return badValue;
  const bp = err as BodyParserError;
  switch (bp?.type) {
    case 'entity.too.large':
      return new HttpError(413, `Request body too large: the limit is ${bp.limit ?? 'configured'} bytes.`, { code: 'request_too_large' });
    case 'entity.parse.failed':
      return new HttpError(400, 'We could not parse the JSON body of your request.', { code: 'invalid_json' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, bp.message, { code: 'unsupported_encoding' });
    case 'request.aborted':
      return new HttpError(400, 'The request was aborted by the client.', { code: 'request_aborted' });
    default:
      if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500) {
        return new HttpError(bp.status, bp.message, { code: 'invalid_request' });
      }
      return new HttpError(500, 'The server had an error while processing your request.', { type: 'api_error', code: 'internal_error' });
  }
}

/** Express error middleware: OpenAI-style body, right status, never a stack trace. */
export function errorHandler(logger: Logger) {
  return function errorHandlerMiddleware(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
    const http = toHttpError(err);
    // Only faults of the gateway itself are logged as errors: an HttpError, an upstream's failure
    // or a workflow that failed with a mapped upstream failure is an answer, not a bug.
    const expected = err instanceof HttpError || err instanceof UpstreamError || (err instanceof WorkflowFailedError && http.code !== 'workflow_failed');
    if (http.status >= 500 && !expected) {
      logger.error(
        { requestId: res.locals.requestId, err: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err) },
        'unhandled error',
      );
    }
    res.locals.errorType = http.code ?? http.type;
    res.locals.provider ??= failedProvider(err);
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(http.headers)) res.setHeader(name, value);
    res.status(http.status).json(http.toBody());
  };
}

/** The provider a failed upstream call or request workflow last tried, for the metrics labels. */
function failedProvider(err: unknown): string | undefined {
  if (err instanceof UpstreamError) return err.provider;
  if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
    const details: unknown = err.cause.details?.[0];
    if (typeof details === 'object' && details !== null && 'provider' in details && typeof details.provider === 'string') return details.provider;
  }
  return undefined;
}
