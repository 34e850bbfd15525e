/**
 * How a worker-only process (`npm run worker`, the compose `worker` service, the batch
 * benchmark) is started: test/unit/worker/process-settings.test.ts checks that the three agree.
 * Both settings act when the process starts, so they cannot be set from inside it.
 *
 * - `--max-old-space-size=1536`: V8 derives how far the old generation may grow between full
 *   collections from this limit. With the default (about 4 GiB here) or 2 GiB, the worker's old
 *   generation grew to about 115 MiB during a 10,000-line batch before its first full
 *   collection, against 45–70 MiB of live heap (heap snapshots after 1,000 and 10,000 lines are
 *   the same size: no leak); with 1.5 GiB it stayed under about 75 MiB. With a budgeted key
 *   (a token count per item) the worker peaked at 377–393 MiB without these settings and at
 *   293–297 MiB with them. CPU per item did not change beyond the noise of a shared 2-core
 *   machine. 1.5 GiB is still 20 times the live heap. The SDK sizes its workflow cache from this
 *   limit too: 782 workflows per worker (`maxCachedWorkflows`), against 2,310 with 4 GiB.
 * - `MALLOC_ARENA_MAX=2`: glibc gives threads that allocate their own malloc arena (up to 8 per
 *   core); the worker runs about 19 threads (libuv, V8, Temporal core's runtime, one workflow
 *   thread per worker), and their partly used arenas held 20–40 MiB of RSS more than two
 *   shared ones do. A value already in the environment wins.
 */

/** Node flags of a worker process, before the script path. */
export const WORKER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-old-space-size=1536']);

/** Environment defaults of a worker process (a value already in the environment wins). */
export const WORKER_ENV_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2' });
