/**
 * Tear-down bookkeeping for the benchmark: everything the run starts registers how to stop it
 * here, and it is stopped in reverse order on success, on error and on SIGINT/SIGTERM/SIGHUP.
 */

type Stop = () => Promise<void>;

/** Longest time one stop step may take before the next one runs anyway (Postgres may need 20 s). */
const STEP_TIMEOUT_MS = 30_000;

/** A LIFO stack of stop steps, run at most once. */
export class Cleanup {
  private readonly steps: Array<{ name: string; stop: Stop }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers `stop` under `name`; steps run last-registered first. */
  add(name: string, stop: Stop): void {
    this.steps.push({ name, stop });
  }

  /** Runs every step once (later calls share the first run); a failing step does not stop the rest. */
  runAll(): Promise<void> {
    this.running ??= this.drain();
    return this.running;
  }

  /**
   * Stops everything on SIGINT/SIGTERM/SIGHUP, then exits with 130. A second signal exits at
   * once (children started through `spawnOwned` still die with this process).
   */
  installSignalHandlers(): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) process.exit(130);
      signalled = true;
      this.log(`${signal} received: cleaning up…`);
      void this.runAll().finally(() => process.exit(130));
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  }

  private async drain(): Promise<void> {
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      const { name, stop } = step;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STEP_TIMEOUT_MS);
      });
      try {
        const outcome = await Promise.race([stop().then(() => 'done' as const), timeout]);
        if (outcome === 'timeout') this.log(`cleanup: ${name} did not stop within ${STEP_TIMEOUT_MS} ms; moving on`);
      } catch (error) {
        this.log(`cleanup: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
