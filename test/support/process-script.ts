import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'test', 'support', 'ts-register.js');

/**
 * Starts `test/support/processes/<script>` (TypeScript, through ts-register) with `env` added
 * to this process's environment; stdout is piped (see {@link announcement}), stderr inherited.
 */
export function spawnProcessScript(script: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--require', REGISTER, path.join(ROOT, 'test', 'support', 'processes', script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * The line a process script announces itself with on stdout (`ready`, `url …`): the first line
 * `accept` takes. Any other line a dependency prints is passed on to stderr, prefixed with the
 * script's name, so it can neither be mistaken for the announcement nor get lost.
 *
 * @throws if the process exits before announcing itself.
 */
export function announcement(child: ChildProcess, script: string, accept: (line: string) => boolean): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (accept(line)) resolve(line);
      else process.stderr.write(`[${script} stdout] ${line}\n`);
    });
    child.once('exit', (code, signal) => reject(new Error(`${script} exited early (${code ?? signal})`)));
  });
}
