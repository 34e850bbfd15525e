/**
 * Parent side of the floor measurement: runs bench/floor-driver.ts as a child process and
 * collects its JSON answer.
 */
import path from 'node:path';
import { spawnOwned } from './child-process';
import type { Cleanup } from './cleanup';
import { FLOOR_SPEC_ENV, floorResultSchema, type FloorResult, type FloorSpec } from './floor-protocol';

/** Output larger than this is not a floor result; it is cut off. */
const MAX_STDOUT_CHARS = 1_000_000;

/**
 * Runs the floor driver with `spec` (and extra node flags, e.g. `--cpu-prof`) and returns its results.
 *
 * @throws if the driver fails, prints no valid result, or runs past a bound derived from the
 *   spec (it is then killed).
 */
export async function runFloor(spec: FloorSpec, cleanup: Cleanup, nodeArgs: readonly string[] = []): Promise<FloorResult> {
  const driver = spawnOwned(process.execPath, [...nodeArgs, path.join(__dirname, 'floor-driver.js')], {
    env: { ...process.env, [FLOOR_SPEC_ENV]: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.add('floor driver', () => driver.stop(5_000));
  let stdout = '';
  driver.child.stdout?.setEncoding('utf8');
  driver.child.stdout?.on('data', (chunk: string) => {
    if (stdout.length < MAX_STDOUT_CHARS) stdout += chunk;
  });

  // Warm-up and measurement are each time-bound per phase; add room for bundling and start.
  const boundMs = spec.variants.length * spec.phases.length * (2 * spec.maxMeasureMs + 30_000) + 120_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), boundMs);
  });
  const outcome = await Promise.race([driver.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    await driver.stop(5_000);
    throw new Error(`floor driver did not finish within ${boundMs} ms`);
  }
  if (outcome.code !== 0) throw new Error(`floor driver exited with ${outcome.code ?? outcome.signal}`);
  const line = stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`floor driver printed no JSON result: ${line.slice(0, 200)}`);
  }
  return floorResultSchema.parse(parsed);
}
