import { getEventListeners, getMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { HttpDrain, beforeDeadline } from '../../../api/drain';
import type { HttpError } from '../../../api/http-error';

function get(port: number, path: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}

describe('HttpDrain', () => {
  async function serve(drain: HttpDrain): Promise<{ server: http.Server; port: number }> {
    const app = express();
    app.use(drain.middleware());
    app.get('/slow', async (_req, res) => {
      await delay(300);
      res.json({ done: true });
    });
    app.get('/forever', async (_req, res) => {
      try {
        await beforeDeadline(new Promise(() => undefined), drain);
      } catch (err) {
        const e = err as HttpError;
        res.status(e.status).json(e.toBody());
      }
    });
    const server = await new Promise<http.Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { server, port: (server.address() as AddressInfo).port };
  }

  it('lets in-flight requests finish with Connection: close and refuses new connections', async () => {
    const drain = new HttpDrain();
    const { server, port } = await serve(drain);
    const pending = get(port, '/slow');
    while (drain.inFlight === 0) await delay(5);
    const drained = drain.drain(server, 5_000);
    expect(drain.draining).toBe(true);
    await expect(get(port, '/slow')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await pending).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
    expect(await drained).toEqual({ finishedInTime: true });
    expect(drain.deadline.aborted).toBe(false);
  });

  it('fires the deadline for requests still running after the drain time', async () => {
    const drain = new HttpDrain();
    const { server, port } = await serve(drain);
    const pending = get(port, '/forever');
    while (drain.inFlight === 0) await delay(5);
    const started = Date.now();
    expect(await drain.drain(server, 200)).toEqual({ finishedInTime: false });
    expect(Date.now() - started).toBeLessThan(2_000);
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'server_shutting_down', type: 'api_error' } });
  });

  it('takes a listener per request in flight on its deadline, unbounded (no leak warning past 10), and drops them', async () => {
    const drain = new HttpDrain();
    const waiting = Array.from({ length: 50 }, () => {
      let resolve!: (value: number) => void;
      const promise = new Promise<number>((r) => (resolve = r));
      return { resolve, answer: beforeDeadline(promise, drain) };
    });
    expect(getEventListeners(drain.deadline, 'abort')).toHaveLength(50);
    // No limit: Node's MaxListenersExceededWarning ("possible memory leak") stays quiet.
    expect(getMaxListeners(drain.deadline)).toBe(Infinity);
    waiting.forEach(({ resolve }, index) => resolve(index));
    expect(await Promise.all(waiting.map(({ answer }) => answer))).toEqual(waiting.map((_, index) => index));
    expect(getEventListeners(drain.deadline, 'abort')).toHaveLength(0);
  });

  it('resolves at once when nothing is in flight', async () => {
    const drain = new HttpDrain();
    const { server } = await serve(drain);
    expect(await drain.drain(server, 10_000)).toEqual({ finishedInTime: true });
  });
});
