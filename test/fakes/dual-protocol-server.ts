/**
 * One TCP port that serves HTTP/1.1 and cleartext HTTP/2. The first bytes of a connection
 * decide: HTTP/2 with prior knowledge opens with the `PRI * HTTP/2.0` preface.
 */
import { createServer as createHttp1Server } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { createServer as createTcpServer } from 'node:net';
import type { Server, Socket } from 'node:net';

const HTTP2_PREFACE_START = Buffer.from('PRI * HTTP/2.0', 'latin1');

/** Request handlers per protocol. */
export interface DualProtocolHandlers {
  http1(req: IncomingMessage, res: ServerResponse): void;
  http2(req: Http2ServerRequest, res: Http2ServerResponse): void;
}

/** A listening-capable TCP server plus a way to drop every open connection. */
export interface DualProtocolServer {
  server: Server;
  /** Destroys every open socket, including idle keep-alive and hung ones. */
  destroyConnections(): void;
}

function isHttp2Preface(head: Buffer): boolean {
  const length = Math.min(head.length, HTTP2_PREFACE_START.length);
  return head.subarray(0, length).equals(HTTP2_PREFACE_START.subarray(0, length));
}

/** Builds the server; call `server.listen` to start it. */
export function createDualProtocolServer(handlers: DualProtocolHandlers): DualProtocolServer {
  const http1 = createHttp1Server(handlers.http1);
  const http2 = createHttp2Server(handlers.http2);
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Resets before the protocol server adopts the socket must not crash the process.
    socket.on('error', () => undefined);
    socket.once('data', (head: Buffer) => {
      // Hand the bytes back so the chosen protocol server parses them from the start. The HTTP/2
      // session drains buffered bytes itself on the next tick, so only HTTP/1.1 needs a resume.
      socket.pause();
      socket.unshift(head);
      if (isHttp2Preface(head)) {
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  return {
    server,
    destroyConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
