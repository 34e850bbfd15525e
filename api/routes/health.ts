import type { Request, Response } from 'express';
import type { ApiDeps } from '../deps';

const CHECK_TIMEOUT_MS = 2_000;

/** GET /healthz: the process is up. */
export function healthz() {
  return function healthzHandler(_req: Request, res: Response): void {
    res.json({ status: 'ok' });
  };
}

/**
 * GET /readyz: Postgres and Temporal both answer within 2 s; 503 otherwise, and 503
 * `draining` at once while the process shuts down, so a load balancer stops sending.
 */
export function readyz(deps: Pick<ApiDeps, 'pool' | 'temporal' | 'drain'>) {
  return async function readyzHandler(_req: Request, res: Response): Promise<void> {
    if (deps.drain?.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const [postgres, temporal] = await Promise.all([
      check(() => deps.pool.query('SELECT 1')),
      check(() => deps.temporal.connection.workflowService.getSystemInfo({})),
    ]);
    const ok = postgres === 'ok' && temporal === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { postgres, temporal } });
  };
}

async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}
