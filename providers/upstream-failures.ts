import { FailureType } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';

/**
 * Errors the adapters raise themselves (rather than classify from an SDK), and the one rule
 * every adapter applies before classifying: the caller's own abort passes through untouched.
 */

/** The request uses a feature this provider cannot serve; `param` names the request field. */
export function unsupportedFeature(provider: string, param: string, message: string): UpstreamError {
  return new UpstreamError(message, { failureType: FailureType.ProviderUnsupported, provider, param });
}

/** The client's request cannot be translated (e.g. tool-call arguments that are not JSON). */
export function invalidRequest(provider: string, param: string, message: string): UpstreamError {
  return new UpstreamError(message, { failureType: FailureType.InvalidRequest, provider, param });
}

/** The upstream answered 2xx with a body that is not the expected shape. */
export function badResponse(provider: string, message: string): UpstreamError {
  return new UpstreamError(message, { failureType: FailureType.ProviderBadResponse, provider });
}

/** A stream that ended cleanly at the transport level but before the upstream's end marker. */
export function truncatedStream(provider: string): UpstreamError {
  return new UpstreamError('the upstream stream ended before the response was complete', {
    failureType: FailureType.ProviderConnection,
    provider,
  });
}

/**
 * What an adapter throws for `err`: an `UpstreamError` passes unchanged; when the caller's
 * `signal` is aborted the original error passes unchanged too, so callers can tell a client
 * disconnect or activity cancellation from an upstream failure; anything else is classified.
 */
export function toThrowable(err: unknown, signal: AbortSignal | undefined, classify: (err: unknown) => UpstreamError): unknown {
  if (err instanceof UpstreamError) return err;
  if (signal?.aborted) return err;
  return classify(err);
}

/**
 * Throws the caller's abort reason when `signal` is aborted. The openai and anthropic stream
 * iterators end silently on abort; this turns that silent end back into a rejection.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}
