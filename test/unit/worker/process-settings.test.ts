import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { WORKER_ENV_DEFAULTS, WORKER_NODE_FLAGS } from '../../../worker/process-settings';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Every way of starting a worker-only process uses the same memory settings (the bench imports them). */
describe('worker process settings', () => {
  it('npm run worker starts node with the flags and the environment defaults', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const defaults = Object.entries(WORKER_ENV_DEFAULTS).map(([name, value]) => `${name}=\${${name}:-${value}}`);
    // `exec`: the shell npm runs the script in is replaced by node, so signals sent to npm reach it.
    expect(pkg.scripts.worker).toBe(`npm run build --silent && ${[...defaults, 'exec', 'node', ...WORKER_NODE_FLAGS, 'dist/bin/worker.js'].join(' ')}`);
  });

  it('the compose worker service sets the same flags and environment', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    expect(compose.services.worker!.environment).toMatchObject({ NODE_OPTIONS: WORKER_NODE_FLAGS.join(' '), ...WORKER_ENV_DEFAULTS });
    // The api process serves HTTP with its own worker: these settings are the worker's.
    expect(compose.services.api!.environment).not.toHaveProperty('NODE_OPTIONS');
  });

  it('the flags are accepted by node and set the heap limit', () => {
    const child = spawnSync(process.execPath, [...WORKER_NODE_FLAGS, '-p', 'require("node:v8").getHeapStatistics().heap_size_limit / 1048576'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(child.stderr).toBe('');
    // V8 adds its young generation to the old-space limit.
    expect(Number(child.stdout)).toBeGreaterThanOrEqual(1536);
    expect(Number(child.stdout)).toBeLessThan(1700);
  });
});
