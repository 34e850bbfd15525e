import type { Request } from 'express';
import { HttpError } from './http-error';

/** The header a client sets to bound its request, in milliseconds from arrival. */
export const DEADLINE_HEADER = 'x-switchyard-timeout-ms';

/** Longest deadline accepted: one hour. */
export const MAX_DEADLINE_MS = 3_600_000;

/**
 * The client's deadline as epoch ms, or undefined without the header. The value is a whole
 * number of milliseconds from the request's arrival, 1 to 3,600,000; anything else is a 400
 * `invalid_value` naming the header.
 */
export function requestDeadline(req: Request, arrivedAt: number = Date.now()): number | undefined {
  const raw = req.headers[DEADLINE_HEADER];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw.join(',') : raw;
  if (!/^\d{1,7}$/.test(text.trim()) || Number(text) < 1 || Number(text) > MAX_DEADLINE_MS) {
    throw new HttpError(400, `Invalid value for header '${DEADLINE_HEADER}': expected a whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}.`, {
      param: DEADLINE_HEADER,
      code: 'invalid_value',
    });
  }
  return arrivedAt + Number(text);
}
