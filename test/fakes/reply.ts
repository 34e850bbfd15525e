/**
 * One response surface over HTTP/1.1 and HTTP/2. The Bedrock SDK talks HTTP/2 (cleartext,
 * prior knowledge) while the OpenAI and Anthropic SDKs use HTTP/1.1 fetch, and the fakes must
 * also be able to break a single exchange the protocol's own way.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { constants } from 'node:http2';
import type { Http2ServerResponse } from 'node:http2';

/** The writable side of one request/response exchange. */
export interface Reply {
  /** True once the client went away or the response was ended. */
  readonly gone: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders): void;
  write(chunk: string | Uint8Array): void;
  end(chunk?: string): void;
  /** Batches following writes until {@link Reply.uncork}. */
  cork(): void;
  uncork(): void;
  /** Breaks the exchange: HTTP/1.1 destroys the socket, HTTP/2 resets only this stream. */
  abort(): void;
  /**
   * Read once closed: true when the response was not fully sent and not broken by
   * {@link Reply.abort}, i.e. the client went away (or the fake was closed under it).
   */
  readonly clientAborted: boolean;
  /** Calls `listener` once when the exchange closes; returns an unsubscribe function. */
  onClose(listener: () => void): () => void;
}

/** Wraps an HTTP/1.1 response. */
export function http1Reply(res: ServerResponse): Reply {
  let selfAborted = false;
  return {
    get gone(): boolean {
      return res.destroyed || res.writableEnded || res.socket === null || res.socket.destroyed;
    },
    writeHead: (status, headers) => void res.writeHead(status, headers),
    write: (chunk) => void res.write(chunk),
    end: (chunk) => void (chunk === undefined ? res.end() : res.end(chunk)),
    cork: () => res.cork(),
    uncork: () => res.uncork(),
    abort: () => {
      selfAborted = true;
      (res.socket ?? res).destroy();
    },
    get clientAborted(): boolean {
      return !res.writableFinished && !selfAborted;
    },
    onClose: (listener) => {
      res.once('close', listener);
      return () => void res.off('close', listener);
    },
  };
}

/** Wraps an HTTP/2 compatibility-API response. */
export function http2Reply(res: Http2ServerResponse): Reply {
  let selfAborted = false;
  return {
    get gone(): boolean {
      return res.stream.destroyed || res.stream.closed || res.writableEnded;
    },
    writeHead: (status, headers) => void res.writeHead(status, headers),
    write: (chunk) => void res.write(chunk),
    end: (chunk) => void (chunk === undefined ? res.end() : res.end(chunk)),
    cork: () => res.stream.cork(),
    uncork: () => res.stream.uncork(),
    abort: () => {
      selfAborted = true;
      res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    },
    get clientAborted(): boolean {
      // Not the RST code: the SDK cancels timed-out streams with NO_ERROR.
      return res.stream.aborted && !selfAborted;
    },
    onClose: (listener) => {
      res.once('close', listener);
      return () => void res.off('close', listener);
    },
  };
}
