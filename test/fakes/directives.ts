/**
 * Behaviour directives embedded in the last user text, e.g. `#fault=429x2@1 #tool #delay=50`.
 * `#gap=MS` pauses between the frames of a stream (a slow stream).
 * Shape faults: `#fault=hang` (no answer), `malformed`, `context`, `cut` (stream stops and the
 * connection breaks), `stall` (stream stops and the connection stays open).
 */

/** Faults that answer with an HTTP error status. */
export interface StatusFault {
  kind: 'status';
  status: number;
  /** Fail only the first `times` requests with the same text; undefined fails every one. */
  times?: number;
  /** `@S`: seconds for the `retry-after` header, when given. */
  retryAfterSeconds?: number;
}

/** Faults that bend the transport or the body rather than the status. */
export interface ShapeFault {
  kind: 'context' | 'hang' | 'malformed' | 'cut' | 'stall';
}

export type Fault = StatusFault | ShapeFault;

/** Everything the directives in one text ask for. */
export interface Directives {
  /** `#tool`: call the first declared tool. */
  tool: boolean;
  /** `#delay=MS`: wait before the first byte; 0 when absent. */
  delayMs: number;
  /** `#gap=MS`: pause between stream frames; 0 when absent. */
  gapMs: number;
  fault?: Fault;
}

/** Statuses `#fault=NNN` accepts; each dialect renders them in its own error format. */
const FAULT_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 429, 500, 503, 529]);

const STATUS_FAULT = /#fault=(\d{3})(?:x(\d+))?(?:@(\d+(?:\.\d+)?))?/;
const SHAPE_FAULT = /#fault=(context|hang|malformed|cut|stall)\b/;
const DELAY = /#delay=(\d+)/;
const GAP = /#gap=(\d+)/;
const NO_DIRECTIVES: Directives = Object.freeze({ tool: false, delayMs: 0, gapMs: 0 });

/** Reads the directives in `text`; unknown or malformed directives are ignored. */
export function parseDirectives(text: string): Directives {
  // Fast path: benchmark traffic carries no directives.
  if (!text.includes('#')) return NO_DIRECTIVES;
  const delay = DELAY.exec(text);
  const gap = GAP.exec(text);
  return {
    tool: /#tool\b/.test(text),
    delayMs: delay ? Number(delay[1]) : 0,
    gapMs: gap ? Number(gap[1]) : 0,
    fault: parseFault(text),
  };
}

function parseFault(text: string): Fault | undefined {
  const shape = SHAPE_FAULT.exec(text);
  if (shape) return { kind: shape[1] as ShapeFault['kind'] };
  const status = STATUS_FAULT.exec(text);
  if (!status || !FAULT_STATUSES.has(Number(status[1]))) return undefined;
  return {
    kind: 'status',
    status: Number(status[1]),
    times: status[2] === undefined ? undefined : Number(status[2]),
    retryAfterSeconds: status[3] === undefined ? undefined : Number(status[3]),
  };
}
