import { z } from 'zod';
import { HttpError } from '../../../../api/http-error';
import { timestampInput } from '../../../../api/validation/policy-fields';
import { validateBody } from '../../../../api/validation/validate';

const schema = z.object({ expires_at: timestampInput.nullable().optional() });

function refusal(value: unknown): HttpError {
  try {
    validateBody(schema, { expires_at: value });
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error(`expected ${String(value)} to be refused`);
}

describe('timestamp input', () => {
  it('accepts Unix seconds and ISO 8601 up to the end of year 9999', () => {
    expect(validateBody(schema, { expires_at: 1_700_000_000 }).expires_at).toEqual(new Date(1_700_000_000_000));
    expect(validateBody(schema, { expires_at: 253_402_300_799 }).expires_at!.toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(validateBody(schema, { expires_at: '0001-01-01T00:00:00Z' }).expires_at!.getUTCFullYear()).toBe(1);
    expect(validateBody(schema, { expires_at: null }).expires_at).toBeNull();
  });

  it('refuses seconds that make no date or a date past year 9999, naming the field', () => {
    for (const value of [10_000_000_000_000, 99_999_999_999_999, 253_402_300_800, '0000-12-31T23:59:59Z']) {
      const err = refusal(value);
      expect({ status: err.status, param: err.param, code: err.code }).toEqual({ status: 400, param: 'expires_at', code: 'invalid_value' });
      expect(err.message).toMatch(/between the years 1 and 9999/);
    }
  });
});
