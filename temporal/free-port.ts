import { createServer } from 'node:net';

/**
 * Asks the OS for a TCP port that is free right now on `host`, by listening on port 0 and closing.
 *
 * The port is only free at the moment of the call: another process may take it before the caller
 * binds it. That race is acceptable for dev servers and tests on one machine.
 *
 * @param host - interface to probe; default `127.0.0.1` (the address our dev servers bind to).
 * @returns a port number in the ephemeral range.
 * @throws the `listen` error (e.g. `EADDRNOTAVAIL` for an unknown host).
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`Could not determine a free port on ${host}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Returns `port` unchanged unless it is 0, in which case a free port is picked with {@link getFreePort}.
 *
 * @param port - a fixed port, or 0 for "any free port".
 * @param host - interface to probe when `port` is 0; default `127.0.0.1`.
 */
export async function resolvePort(port: number, host = '127.0.0.1'): Promise<number> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port ${port}; expected an integer in 0..65535 (0 = pick a free port)`);
  }
  return port === 0 ? getFreePort(host) : port;
}
