/**
 * State shared by the integration project's jest globalSetup and globalTeardown. Both run in the
 * jest parent process, so handles travel on `globalThis`; test files only see the addresses,
 * which travel as environment variables.
 */
export interface TestInfrastructure {
  /** Stops what setup started, in reverse start order. */
  readonly stops: Array<() => Promise<void>>;
  /** Temp directories setup created; removed after the stops. */
  readonly tempDirs: string[];
}

declare global {
  // `var` is required for a property declaration on globalThis.
  var __switchyardTestInfrastructure: TestInfrastructure | undefined;
}

/** Prefix for setup/teardown progress lines on stderr. */
export function logSetup(line: string): void {
  process.stderr.write(`[switchyard test infra] ${line}\n`);
}
