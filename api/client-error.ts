import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpError } from './http-error';

/**
 * What Node's HTTP parser refuses before Express sees the request (headers too large, a malformed
 * request line or chunked body, conflicting Content-Length and Transfer-Encoding) gets the same
 * OpenAI-style error body as everything else, instead of Node's bare status line. The connection
 * is closed afterwards: the parser cannot find the next request on it.
 */
export function answerParserErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset connection cannot be answered; a response already started cannot be replaced (Node's
    // own handler makes the same check on the socket's current response).
    const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(parserError(err.code)));
  });
}

/** The error a parser failure stands for. */
export function parserError(code: string | undefined): HttpError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(431, 'The request headers are too large.', { code: 'headers_too_large' });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(408, 'The request was not received in time.', { code: 'request_timeout' });
    default:
      return new HttpError(400, 'The HTTP request is malformed.', { code: 'invalid_http_request' });
  }
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function rawResponse(error: HttpError): string {
  const body = JSON.stringify(error.toBody());
  return [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
