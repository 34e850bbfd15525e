/**
 * Exact USD arithmetic. Money is stored as Postgres `numeric(20,10)` and handled here as a
 * bigint count of 1e-10 USD units, so no binary float ever touches a stored amount: sums of
 * usage records and budget counters agree exactly, not just "to the cent".
 *
 * Why 10 decimal places: the cheapest list prices are a few cents per million tokens
 * (3.5e-8 USD per token); integer micro-dollars would round a small request to zero, and the
 * gateway must never charge zero for a priced call.
 */

/** Decimal places kept for every amount (matches the `numeric(20,10)` columns). */
export const USD_SCALE = 10;
const FACTOR = 10n ** BigInt(USD_SCALE);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative USD amount as a bigint of 1e-10 USD. */
export type UsdUnits = bigint;

/**
 * Parses a non-negative amount: a decimal string (as `pg` returns `numeric`) or a finite number.
 * Numbers are rounded to 10 places first (`toFixed`), strings may not carry more than 10.
 *
 * @throws RangeError for negative, non-finite or malformed values.
 */
export function usdToUnits(value: number | string): UsdUnits {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value >= 1e12) throw new RangeError(`invalid USD amount: ${value}`);
    text = value.toFixed(USD_SCALE);
  } else {
    text = value.trim();
  }
  const m = DECIMAL.exec(text);
  if (!m) throw new RangeError(`invalid USD amount: ${JSON.stringify(value)}`);
  const fraction = m[2] ?? '';
  if (fraction.length > USD_SCALE) {
    // Trailing zeros beyond the scale are harmless; anything else would be silently lost.
    if (!/^0*$/.test(fraction.slice(USD_SCALE))) throw new RangeError(`USD amount has more than ${USD_SCALE} decimals: ${text}`);
  }
  return BigInt(m[1]!) * FACTOR + BigInt(fraction.slice(0, USD_SCALE).padEnd(USD_SCALE, '0'));
}

/** Formats units as a plain decimal string without trailing zeros: `"0.000015"`, `"10"`. */
export function unitsToUsd(units: UsdUnits): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / FACTOR;
  const fraction = (abs % FACTOR).toString().padStart(USD_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Normalises an amount to the canonical string form; same failure modes as {@link usdToUnits}. */
export function normalizeUsd(value: number | string): string {
  return unitsToUsd(usdToUnits(value));
}

/**
 * Cost of `tokens` at a price per million tokens, rounded UP to the 1e-10 unit so rounding
 * never undercharges. Exact for any price with up to 4 decimals per million.
 */
export function tokenCostUnits(tokens: number, pricePerMillion: UsdUnits): UsdUnits {
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RangeError(`invalid token count: ${tokens}`);
  const numerator = BigInt(tokens) * pricePerMillion;
  const million = 1_000_000n;
  return (numerator + million - 1n) / million;
}
