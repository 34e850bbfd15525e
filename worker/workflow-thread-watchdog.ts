import { AsyncLocalStorage } from 'node:async_hooks';
import workerThreads, { type Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * One deadlock watchdog per Temporal workflow thread, instead of the SDK's one per call.
 *
 * The TypeScript SDK (1.24) runs workflow code in a worker thread and calls into its V8 context
 * with `script.runInContext(context, { timeout: 5000 })` for every step of an activation, about
 * eight calls per request here. Node implements `timeout` by creating, and then joining, a new OS
 * thread per call (`node_watchdog.cc`): 85 µs of CPU per call on this 2-core VM when idle, more
 * when both cores are busy. Measured with `bench/ab-durable.ts` (three interleaved rounds against
 * the build before): gateway CPU per durable request 13.9 → 13.2 ms at c=1 and 10.2 → 9.4 ms at
 * c=16, c=16 throughput 79.5 → 84.3 req/s (means; single rounds vary by ±10 %).
 *
 * {@link installWorkflowThreadWatchdog} keeps the SDK's guarantee that a workflow stuck in a
 * synchronous loop does not go unnoticed, with a different remedy: each workflow thread's calls
 * drop the `timeout` and mark themselves in shared counters ({@link THREAD_PRELUDE}); a
 * timer in the main thread checks the counters every second and terminates a thread whose call
 * has run longer than the limit. The SDK then fails the worker ("Workflow Worker Thread
 * exited"), the gateway logs `worker stopped with an error` at fatal level and exits non-zero
 * when it stops, and Temporal hands the thread's workflow tasks to other workers after their
 * timeouts (where the SDK would have failed that one workflow task and kept the worker going).
 * Workflow code here is Switchyard's own, deterministic and thin; a stuck call is a bug either way.
 *
 * How: the SDK creates its threads with `new (require('node:worker_threads').Worker)(file)` at
 * worker creation, so the installed subclass sees them; any other thread is created unchanged.
 * The same entry point carries per-worker thread options ({@link withWorkflowThreadOptions}):
 * the interactive worker's threads start without the SDK's per-promise stack traces.
 */

/** The SDK's own limit for one call into the workflow context (`isolateExecutionTimeout`). */
const WORKFLOW_CALL_LIMIT_MS = 5_000;

/** Key of the shared counters in the thread's `workerData`. */
const WATCHDOG_SLOT_KEY = '__switchyardWorkflowWatchdog';

/** Counters per thread: [0] 1 while a call runs, [1] calls started so far. */
const SLOT_IN_CALL = 0;
const SLOT_CALLS = 1;

/** What the watchdog reports when it stops a thread. */
export interface StuckThread {
  readonly threadId: number;
  /** How long the one call had been running, at least. */
  readonly stuckForMs: number;
}

interface WatchdogOptions {
  /** Longest one call may run before its thread is terminated; default {@link WORKFLOW_CALL_LIMIT_MS}. */
  readonly limitMs?: number;
  /** How often the counters are read; default 1 s. */
  readonly checkEveryMs?: number;
  /** Told before a stuck thread is terminated. */
  readonly onStuck: (thread: StuckThread) => void;
  /** Which thread scripts are watched; default: the SDK's workflow thread. */
  readonly watches?: (filename: string) => boolean;
}

/**
 * Runs first in each watched thread, before the SDK's script: calls into a V8 context with a
 * `timeout` run without it and mark themselves in the counters the main thread reads (a nested
 * call keeps the outer mark); calls without a `timeout` are left alone. Source text rather than a
 * module so it runs the same from the compiled tree and from TypeScript sources under jest.
 */
export const THREAD_PRELUDE = `(() => {
  const vm = require('node:vm');
  const slot = require('node:worker_threads').workerData?.[${JSON.stringify(WATCHDOG_SLOT_KEY)}];
  if (!(slot instanceof SharedArrayBuffer)) return;
  const counters = new Int32Array(slot);
  const runInContext = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function runInContextWatched(context, options) {
    if (options === undefined || options === null || options.timeout === undefined) return runInContext.call(this, context, options);
    const { timeout, ...rest } = options;
    const outer = Atomics.exchange(counters, ${SLOT_IN_CALL}, 1) === 1;
    Atomics.add(counters, ${SLOT_CALLS}, 1);
    try {
      return runInContext.call(this, context, rest);
    } finally {
      if (!outer) Atomics.store(counters, ${SLOT_IN_CALL}, 0);
    }
  };
})();`;
const SDK_THREAD_FILE = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]workflow-worker-thread\.js$/;

/**
 * Runs in a workflow thread created without stack traces, before the SDK's script: the SDK's
 * `GlobalHandlers.setPromiseHook` (in `vm-shared.js`, next to the thread script) becomes a no-op,
 * so no promise hook is installed and the SDK starts its workflows with stack traces disabled,
 * a state it supports (it is what it does where V8 promise hooks are unavailable). A missing or
 * renamed file leaves the thread as it was.
 */
function stackTracesOffPrelude(threadFile: string): string {
  const vmShared = JSON.stringify(threadFile.replace(/workflow-worker-thread\.js$/, 'vm-shared.js'));
  return `(() => {
  try {
    const { GlobalHandlers } = require(${vmShared});
    if (GlobalHandlers && typeof GlobalHandlers.prototype.setPromiseHook === 'function') GlobalHandlers.prototype.setPromiseHook = function () {};
  } catch {}
})();`;
}

/**
 * Marks the installed class and holds the class it replaced. The state lives on
 * `node:worker_threads` itself, not in this module: jest gives each test file its own copy of
 * this module but one shared `node:worker_threads`.
 */
const WATCHED = Symbol.for('switchyard.workflowThreadWatchdog');

/** How the workflow threads a `Worker.create` starts are set up; see {@link withWorkflowThreadOptions}. */
export interface WorkflowThreadOptions {
  /**
   * Whether the SDK records a stack trace for every promise workflow code creates, for the
   * `__stack_trace` query (the Temporal UI's "Stack Trace" tab). Off, that query answers
   * "Workflow stack traces are not enabled on this worker", and workflow code runs without an
   * `Error` captured, formatted and source-mapped per promise.
   */
  readonly stackTraces: boolean;
}

/** The options of threads being created; shared through `node:worker_threads` like `WATCHED`. */
const THREAD_OPTIONS = Symbol.for('switchyard.workflowThreadOptions');

function threadOptionsStorage(): AsyncLocalStorage<WorkflowThreadOptions> {
  const holder = workerThreads as unknown as { [THREAD_OPTIONS]?: AsyncLocalStorage<WorkflowThreadOptions> };
  return (holder[THREAD_OPTIONS] ??= new AsyncLocalStorage());
}

/**
 * Runs `create` (a `Worker.create`) so that the workflow threads it starts use `options`. Needs
 * the watchdog installed (it creates the threads); without it, threads start as the SDK sets them.
 */
export function withWorkflowThreadOptions<T>(options: WorkflowThreadOptions, create: () => Promise<T>): Promise<T> {
  return threadOptionsStorage().run(options, create);
}

/** Whether `filename` is the SDK's workflow thread script. */
export function isSdkWorkflowThread(filename: string): boolean {
  return SDK_THREAD_FILE.test(filename);
}

/**
 * Installs the watchdog for workflow threads created from now on (idempotent: the first
 * installation's options stay). Call before `Worker.create`.
 */
export function installWorkflowThreadWatchdog(opts: WatchdogOptions): void {
  if (WATCHED in workerThreads.Worker) return;
  const original = workerThreads.Worker;
  const limitMs = opts.limitMs ?? WORKFLOW_CALL_LIMIT_MS;
  const checkEveryMs = opts.checkEveryMs ?? 1_000;
  const watches = opts.watches ?? isSdkWorkflowThread;

  class WatchedWorker extends original {
    static readonly [WATCHED] = original;

    constructor(filename: string | URL, options?: WorkerOptions) {
      const file = filename instanceof URL ? filename.pathname : filename;
      if (options?.eval || !watches(file)) {
        super(filename, options);
        return;
      }
      const slot = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
      const stackTracesOff = threadOptionsStorage().getStore()?.stackTraces === false;
      // An eval'd entry (prelude, then the SDK's script) keeps every option the thread inherits.
      super(`${THREAD_PRELUDE}\n${stackTracesOff ? stackTracesOffPrelude(file) : ''}\nrequire(${JSON.stringify(file)});`, {
        ...options,
        eval: true,
        workerData: { ...(isRecord(options?.workerData) ? options.workerData : {}), [WATCHDOG_SLOT_KEY]: slot },
      });
      watch(this, new Int32Array(slot), { limitMs, checkEveryMs, onStuck: opts.onStuck });
    }
  }
  replaceWorker(WatchedWorker);
}

/** Restores `worker_threads.Worker` (tests). Threads already watched stay watched. */
export function uninstallWorkflowThreadWatchdog(): void {
  const current = workerThreads.Worker as typeof Worker & { [WATCHED]?: typeof Worker };
  const original = current[WATCHED];
  if (original) replaceWorker(original);
}

function replaceWorker(value: typeof Worker): void {
  Object.defineProperty(workerThreads, 'Worker', { value, writable: true, configurable: true, enumerable: true });
}

function watch(thread: Worker, counters: Int32Array, opts: { limitMs: number; checkEveryMs: number; onStuck: WatchdogOptions['onStuck'] }): void {
  let lastCalls = -1;
  let stuckForMs = 0;
  const timer = setInterval(() => {
    const calls = Atomics.load(counters, SLOT_CALLS);
    const inCall = Atomics.load(counters, SLOT_IN_CALL) === 1;
    stuckForMs = inCall && calls === lastCalls ? stuckForMs + opts.checkEveryMs : 0;
    lastCalls = calls;
    if (stuckForMs < opts.limitMs) return;
    clearInterval(timer);
    opts.onStuck({ threadId: thread.threadId, stuckForMs });
    void thread.terminate();
  }, opts.checkEveryMs);
  timer.unref();
  thread.once('exit', () => clearInterval(timer));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * {@link installWorkflowThreadWatchdog} reporting to the Temporal runtime's logger: what the
 * gateway's workers (and the benchmark's floor driver, so both pay the same) install.
 */
export function watchWorkflowThreads(logger: { error(message: string, meta?: Record<string, unknown>): void }): void {
  installWorkflowThreadWatchdog({
    onStuck: ({ threadId, stuckForMs }) =>
      logger.error('a workflow thread has been running one call for too long (a stuck workflow); terminating the thread, which stops the worker', {
        threadId,
        stuckForMs,
      }),
  });
}
