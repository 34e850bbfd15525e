import { clashMayBeOnPickedPort, DevServerStartError, portClash } from '../../../temporal/dev-server';

const HEADER = '=== 2026-12-04T15:26:17.353Z /root/.cache/temporal server start-dev --port 45915 --ui-port 39575';
const BIND_FAILURE =
  '{"time":"2026-12-04T15:26:17.483Z","level":"FATAL","prefix":"echo","file":"server.go","line":"152","message":"listen tcp 127.0.0.1:39575: bind: address already in use"}';

function exitedWith(logTail: string): DevServerStartError {
  return new DevServerStartError('Temporal dev server exited during start (exit code 1)', '/tmp/dev.db.log', logTail, { code: 1, signal: null });
}

describe('portClash', () => {
  it('names the port from the server log line of this start', () => {
    expect(portClash(exitedWith(['', HEADER, BIND_FAILURE].join('\n')))).toEqual({ port: 39575 });
  });

  it('ignores a clash logged by an earlier start in the same (appended) log', () => {
    const tail = [HEADER, BIND_FAILURE, '', HEADER, '{"level":"FATAL","message":"sqlite: database is locked"}'].join('\n');
    expect(portClash(exitedWith(tail))).toBeNull();
  });

  it('reports a clash without a port when the line does not name one', () => {
    expect(portClash(exitedWith(`${HEADER}\nError: address already in use`))).toEqual({ port: null });
  });

  it('is null for a timeout (process still running) and for other errors', () => {
    const timedOut = new DevServerStartError('not reachable in time', '/tmp/dev.db.log', `${HEADER}\n${BIND_FAILURE}`, null);
    expect(portClash(timedOut)).toBeNull();
    expect(portClash(new Error('listen tcp 127.0.0.1:1: bind: address already in use'))).toBeNull();
  });
});

describe('clashMayBeOnPickedPort', () => {
  it('retries a clash on a picked or internal port, never on a port the caller fixed', () => {
    expect(clashMayBeOnPickedPort({ port: 39575 }, [])).toBe(true);
    expect(clashMayBeOnPickedPort({ port: 39575 }, [7233])).toBe(true);
    expect(clashMayBeOnPickedPort({ port: 8233 }, [7233, 8233])).toBe(false);
    expect(clashMayBeOnPickedPort({ port: null }, [7233, 8233])).toBe(true);
  });
});
