/**
 * Progress lines of the benchmark, on stderr (stdout carries the report).
 */

/** Writes `[bench] line` to stderr. */
export function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}
