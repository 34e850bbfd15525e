/**
 * The gateway configuration the benchmark runs with: one OpenAI-compatible provider pointed at
 * the fake upstream and one model, `bench-model`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

/** Model name clients send to the gateway. */
export const BENCH_MODEL = 'bench-model';
/** Model the gateway asks the fake upstream for (and the direct phases send). */
export const UPSTREAM_MODEL = 'gpt-4o-mini';
/** Variable the gateway reads the provider key from; the fake accepts any key but `bad-key`. */
export const BENCH_KEY_ENV = 'SWITCHYARD_BENCH_UPSTREAM_KEY';
/** Value of {@link BENCH_KEY_ENV}. */
export const BENCH_UPSTREAM_KEY = 'sk-bench-fake';

/**
 * Writes `name` (default `switchyard-bench.yaml`) into `dir`, with `extra` top-level sections
 * (e.g. `batch`), and returns its path. No retries beyond the first
 * attempt are needed (the fake never fails), but the defaults are kept so the workflow runs the
 * same activity options as production.
 */
export async function writeBenchConfig(
  dir: string,
  fakeUpstreamUrl: string,
  extra: Record<string, unknown> = {},
  name = 'switchyard-bench.yaml',
): Promise<string> {
  const config = {
    providers: {
      'bench-openai': { type: 'openai', base_url: `${fakeUpstreamUrl}/v1`, api_key_env: BENCH_KEY_ENV, timeout_ms: 30_000 },
    },
    models: {
      [BENCH_MODEL]: { deployments: [{ provider: 'bench-openai', model: UPSTREAM_MODEL }] },
    },
    ...extra,
  };
  const file = path.join(dir, name);
  await writeFile(file, stringify(config), 'utf8');
  return file;
}
