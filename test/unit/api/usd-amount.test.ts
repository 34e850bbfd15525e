import { usdAmount, usdPerMillion } from '../../../api/validation/usd-amount';

describe('USD amounts in admin bodies', () => {
  it('accepts numbers and exact decimal strings, normalised', () => {
    expect(usdAmount.parse(12.5)).toBe('12.5');
    expect(usdAmount.parse('0.0000000001')).toBe('0.0000000001');
    expect(usdPerMillion.parse('2.50')).toBe('2.5');
  });

  it('refuses negatives, junk, too many decimals and out-of-range values', () => {
    for (const bad of [-1, '-1', 'ten', '1.00000000001', 1e11, Number.NaN]) expect(usdAmount.safeParse(bad).success).toBe(false);
    expect(usdPerMillion.safeParse(1_000_001).success).toBe(false);
  });
});
