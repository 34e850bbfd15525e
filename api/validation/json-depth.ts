/**
 * How deep a request body may nest objects and arrays. Real requests stay far below it (a tool's
 * JSON schema is a handful of levels); thousands of levels parse, but then overflow the stack of
 * whatever serialises them next (the provider SDK, Temporal's payload converter) and would fail
 * as a 5xx — on the fast path even as an upstream failure that counts against the deployment's
 * circuit breaker. Applies to request bodies and to batch input lines alike.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether `value` nests objects or arrays more than `max` levels deep (iterative: no recursion to overflow). */
export function jsonDepthExceeds(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
