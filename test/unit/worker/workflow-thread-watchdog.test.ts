import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import workerThreads, { type Worker } from 'node:worker_threads';
import {
  installWorkflowThreadWatchdog,
  isSdkWorkflowThread,
  uninstallWorkflowThreadWatchdog,
  withWorkflowThreadOptions,
  type StuckThread,
} from '../../../worker/workflow-thread-watchdog';

/**
 * A stand-in for the SDK's workflow thread: calls into a V8 context with a per-call `timeout`, as
 * the SDK's reusable VM does, on request: `slow` runs 300 ms under a 50 ms timeout, `loop` never ends.
 */
const THREAD_SCRIPT = `
const vm = require('node:vm');
const { parentPort } = require('node:worker_threads');
const context = vm.createContext({});
parentPort.on('message', (what) => {
  if (what === 'slow') {
    const answer = new vm.Script('const t = Date.now(); while (Date.now() - t < 300) {} 42').runInContext(context, { timeout: 50 });
    parentPort.postMessage(answer);
  } else if (what === 'loop') {
    new vm.Script('for (;;) {}').runInContext(context, { timeout: 50 });
  }
});
`;

function startThread(file: string): Worker {
  // Looked up at call time, as the SDK does (`new node_worker_threads_1.Worker(...)`).
  const thread = new workerThreads.Worker(file);
  thread.unref();
  return thread;
}

function firstMessageOrError(thread: Worker): Promise<unknown> {
  return new Promise((resolve) => {
    thread.once('message', resolve);
    thread.once('error', resolve);
  });
}

describe('workflow thread watchdog', () => {
  let dir: string;
  let watched: string;
  let other: string;
  const stuck: StuckThread[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-watchdog-'));
    watched = path.join(dir, 'watched-thread.js');
    other = path.join(dir, 'other-thread.js');
    writeFileSync(watched, THREAD_SCRIPT);
    writeFileSync(other, THREAD_SCRIPT);
  });

  beforeEach(() => {
    stuck.length = 0;
    uninstallWorkflowThreadWatchdog();
    installWorkflowThreadWatchdog({ limitMs: 600, checkEveryMs: 100, onStuck: (s) => stuck.push(s), watches: (file) => file === watched });
  });

  afterEach(() => uninstallWorkflowThreadWatchdog());

  it('runs a watched thread’s calls without their per-call timeout (no thread per call)', async () => {
    const thread = startThread(watched);
    const answer = firstMessageOrError(thread);
    thread.postMessage('slow');
    expect(await answer).toBe(42);
    await thread.terminate();
    expect(stuck).toEqual([]);
  });

  it('leaves other threads as they are: their per-call timeout still applies', async () => {
    const thread = startThread(other);
    const answer = firstMessageOrError(thread);
    thread.postMessage('slow');
    // The thread's error (another realm's Error, so matched by shape): Node's per-call timeout fired.
    expect(await answer).toMatchObject({ message: expect.stringMatching(/Script execution timed out after 50ms/) });
    await thread.terminate();
  });

  it('terminates a watched thread stuck in one call past the limit, and reports it', async () => {
    const thread = startThread(watched);
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    thread.postMessage('loop');
    const started = Date.now();
    await exited;
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stuck).toEqual([{ threadId: expect.any(Number), stuckForMs: expect.any(Number) }]);
    expect(stuck[0]!.stuckForMs).toBeGreaterThanOrEqual(600);
  });

  it('is shared by every copy of the module (jest loads one per test file): any copy uninstalls it', async () => {
    uninstallWorkflowThreadWatchdog();
    const original = workerThreads.Worker;
    await jest.isolateModulesAsync(async () => {
      const other = await import('../../../worker/workflow-thread-watchdog');
      other.installWorkflowThreadWatchdog({ onStuck: () => undefined });
    });
    expect(workerThreads.Worker).not.toBe(original);
    // Installed already (by the other copy): this one's options do not replace it.
    installWorkflowThreadWatchdog({ onStuck: () => undefined, watches: () => true });
    uninstallWorkflowThreadWatchdog();
    expect(workerThreads.Worker).toBe(original);
  });

  it('recognises the SDK’s workflow thread script, and only that', () => {
    expect(isSdkWorkflowThread(require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread'))).toBe(true);
    expect(isSdkWorkflowThread(require.resolve('@temporalio/worker/lib/workflow/threaded-vm'))).toBe(false);
  });

  it('is what the SDK uses to start its threads once installed', async () => {
    // threaded-vm.js reads `Worker` off the module object when it creates a thread.
    const sdkModule = (await import('node:worker_threads')).default;
    expect(sdkModule.Worker).toBe(workerThreads.Worker);
    expect(Symbol.for('switchyard.workflowThreadWatchdog') in sdkModule.Worker).toBe(true);
  });
});

/**
 * A stand-in for the SDK's files: `vm-shared.js` exports `GlobalHandlers`, whose `install()`
 * calls `setPromiseHook()` (the real one installs the per-promise stack trace hook); the thread
 * script reports whether the hook was installed.
 */
const VM_SHARED_STAND_IN = `
class GlobalHandlers {
  promiseHookInstalled = false;
  install() { this.setPromiseHook(); }
  setPromiseHook() { this.promiseHookInstalled = true; }
}
exports.GlobalHandlers = GlobalHandlers;
`;
const SDK_THREAD_STAND_IN = `
const { GlobalHandlers } = require('./vm-shared.js');
const handlers = new GlobalHandlers();
handlers.install();
require('node:worker_threads').parentPort.postMessage(handlers.promiseHookInstalled);
`;

describe('workflow thread options', () => {
  let threadFile: string;

  beforeAll(() => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'switchyard-thread-options-')), '@temporalio', 'worker', 'lib', 'workflow');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'vm-shared.js'), VM_SHARED_STAND_IN);
    threadFile = path.join(dir, 'workflow-worker-thread.js');
    writeFileSync(threadFile, SDK_THREAD_STAND_IN);
    uninstallWorkflowThreadWatchdog();
    installWorkflowThreadWatchdog({ onStuck: () => undefined });
  });
  afterAll(() => uninstallWorkflowThreadWatchdog());

  it('starts threads without the promise hook inside withWorkflowThreadOptions({ stackTraces: false })', async () => {
    const thread = await withWorkflowThreadOptions({ stackTraces: false }, async () => startThread(threadFile));
    expect(await firstMessageOrError(thread)).toBe(false);
  });

  it('leaves the hook alone elsewhere, and with stack traces on', async () => {
    expect(await firstMessageOrError(startThread(threadFile))).toBe(true);
    const on = await withWorkflowThreadOptions({ stackTraces: true }, async () => startThread(threadFile));
    expect(await firstMessageOrError(on)).toBe(true);
  });

  it('patches what the SDK really has: GlobalHandlers.setPromiseHook beside its workflow thread script', () => {
    const real = require.resolve('@temporalio/worker/lib/workflow/workflow-worker-thread');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vmShared = require(path.join(path.dirname(real), 'vm-shared.js')) as { GlobalHandlers?: { prototype: Record<string, unknown> } };
    expect(typeof vmShared.GlobalHandlers?.prototype.setPromiseHook).toBe('function');
  });
});
