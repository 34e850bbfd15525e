import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports the kernel hands out for `bind(0)` and outgoing connections (Linux'
 * `net.ipv4.ip_local_port_range`; the Linux default where it cannot be read).
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): { readonly low: number; readonly high: number } {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) && low <= high) return { low, high };
  } catch {
    // Not Linux, or /proc not mounted: fall through to the default.
  }
  return { low: 32768, high: 60999 };
}

/**
 * The window {@link getFreePort} draws from: the unprivileged ports below the ephemeral range (or
 * above it when that is too small), so a port picked here is never the one the kernel gives to
 * somebody else's `bind(0)` or outgoing connection between our pick and the real bind. That race
 * is what made a Temporal dev server fail at start: it picks its own internal ports with `bind(0)`
 * and one of them was the UI port we had just released. `null` when neither window is usable.
 */
export function portWindowOutsideEphemeral(range = ephemeralPortRange()): { readonly low: number; readonly high: number } | null {
  const MIN_WINDOW = 1_000;
  if (range.low - 1 - 10_000 >= MIN_WINDOW) return { low: 10_000, high: range.low - 1 };
  if (65_535 - (range.high + 1) >= MIN_WINDOW) return { low: range.high + 1, high: 65_535 };
  return null;
}

const PICK_ATTEMPTS = 64;

/**
 * Finds a TCP port that is free right now on `host`: random ports from
 * {@link portWindowOutsideEphemeral}, each checked by listening on it and closing; if none is free,
 * the kernel's choice (`listen` on port 0).
 *
 * The port is only free at the moment of the call; another process may still take it before the
 * caller binds it. Outside the ephemeral range only a process that picks ports the same way can,
 * and callers that must not fail retry (see `startDevServer`).
 *
 * @param host - interface to probe; default `127.0.0.1` (the address our dev servers bind to).
 * @throws the `listen` error other than `EADDRINUSE`/`EACCES` (e.g. `EADDRNOTAVAIL` for an unknown host).
 */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const window = portWindowOutsideEphemeral();
  if (window !== null) {
    for (let attempt = 0; attempt < PICK_ATTEMPTS; attempt++) {
      const candidate = window.low + Math.floor(Math.random() * (window.high - window.low + 1));
      const port = await tryListen(host, candidate);
      if (port !== null) return port;
    }
  }
  const port = await tryListen(host, 0);
  if (port === null) throw new Error(`Could not find a free port on ${host}`);
  return port;
}

/** Listens on `port` and closes; the bound port, or null when it is in use or not allowed. */
function tryListen(host: string, port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(null);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`Could not determine the bound port on ${host}`));
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
