/**
 * Fake OpenAI, Azure OpenAI, Anthropic and Bedrock runtime upstreams on one local HTTP server.
 * The real SDKs parse its answers; directives in the last user text (`#tool`, `#fault=...`,
 * `#delay=MS`) drive tool calls and failures; `directives.ts` lists them.
 */
import { createDualProtocolServer } from './dual-protocol-server';
import { FaultLedger } from './fault-ledger';
import { http1Reply, http2Reply } from './reply';
import type { Reply } from './reply';
import { handleRequest } from './request-handler';
import type { HandlerState, IncomingRequest } from './request-handler';
import type { FakeUpstream, StartFakeUpstreamOptions } from './types';

export type { FakeUpstream, ProviderName, RecordedRequest, StartFakeUpstreamOptions } from './types';

const HOST = '127.0.0.1';

/**
 * Starts the fake on 127.0.0.1. Resolves once listening; rejects if the port is taken.
 * Point SDKs at it with: OpenAI `baseURL: url + '/v1'`; AzureOpenAI `endpoint: url`;
 * Anthropic `baseURL: url`; Bedrock `endpoint: url`.
 */
export async function startFakeUpstream(opts: StartFakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const state: HandlerState = { record: opts.record ?? true, requests: [], ledger: new FaultLedger(), delayMs: opts.delayMs, refused: new Set() };
  const serve = (req: IncomingRequest, reply: Reply): void => {
    handleRequest(req, reply, state).catch(() => {
      // A fault in the fake itself: fail loudly rather than leave the client hanging.
      if (reply.gone) return;
      reply.writeHead(500, { 'content-type': 'text/plain' });
      reply.end('fake upstream internal error');
    });
  };
  const { server, destroyConnections } = createDualProtocolServer({
    http1: (req, res) => serve(req, http1Reply(res)),
    http2: (req, res) => serve(req, http2Reply(res)),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake upstream: no TCP address');
  const port = address.port;
  return {
    url: `http://${HOST}:${port}`,
    port,
    requests: state.requests,
    countFor: (text) => state.requests.reduce((count, request) => (request.lastUserText === text ? count + 1 : count), 0),
    refuseKey: (key) => state.refused.add(key),
    acceptKey: (key) => state.refused.delete(key),
    reset: () => {
      state.requests.length = 0;
      state.ledger.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive, HTTP/2 and hung connections would otherwise hold close() open.
        destroyConnections();
      }),
  };
}
