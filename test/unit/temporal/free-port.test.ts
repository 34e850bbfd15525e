import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { ephemeralPortRange, getFreePort, portWindowOutsideEphemeral, resolvePort } from '../../../temporal/free-port';

describe('ephemeralPortRange', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-port-range-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the kernel range file (tab separated, trailing newline)', async () => {
    const file = path.join(dir, 'range');
    await writeFile(file, '40000\t50000\n');
    expect(ephemeralPortRange(file)).toEqual({ low: 40000, high: 50000 });
  });

  it('falls back to the Linux default when the file is missing or garbled', async () => {
    expect(ephemeralPortRange(path.join(dir, 'missing'))).toEqual({ low: 32768, high: 60999 });
    const garbled = path.join(dir, 'garbled');
    await writeFile(garbled, 'not numbers\n');
    expect(ephemeralPortRange(garbled)).toEqual({ low: 32768, high: 60999 });
  });
});

describe('portWindowOutsideEphemeral', () => {
  it('uses the ports below the ephemeral range when there are enough of them', () => {
    expect(portWindowOutsideEphemeral({ low: 32768, high: 60999 })).toEqual({ low: 10000, high: 32767 });
  });

  it('uses the ports above it when the range starts too low', () => {
    expect(portWindowOutsideEphemeral({ low: 10500, high: 60000 })).toEqual({ low: 60001, high: 65535 });
  });

  it('gives none when the range covers nearly everything', () => {
    expect(portWindowOutsideEphemeral({ low: 1024, high: 65000 })).toBeNull();
  });
});

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

describe('getFreePort', () => {
  it('returns ports outside the kernel ephemeral range that can be bound', async () => {
    const range = ephemeralPortRange();
    const window = portWindowOutsideEphemeral(range);
    for (let i = 0; i < 20; i++) {
      const port = await getFreePort();
      if (window !== null) {
        expect(port).toBeGreaterThanOrEqual(window.low);
        expect(port).toBeLessThanOrEqual(window.high);
      }
      const server = await listen(port);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never returns a port that is in use', async () => {
    const held: Server[] = [];
    try {
      for (let i = 0; i < 10; i++) held.push(await listen(await getFreePort()));
      const heldPorts = new Set(held.map((server) => (server.address() as { port: number }).port));
      expect(heldPorts.size).toBe(10);
      for (let i = 0; i < 50; i++) expect(heldPorts.has(await getFreePort())).toBe(false);
    } finally {
      await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});

describe('resolvePort', () => {
  it('keeps a fixed port, picks one for 0 and rejects invalid ones', async () => {
    await expect(resolvePort(8080)).resolves.toBe(8080);
    await expect(resolvePort(0)).resolves.toBeGreaterThan(0);
    await expect(resolvePort(70000)).rejects.toThrow(RangeError);
    await expect(resolvePort(-1)).rejects.toThrow(RangeError);
  });
});
