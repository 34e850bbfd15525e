import { DatabaseError } from 'pg';
import { databaseValueErrorToHttp } from '../../../api/database-value-error';
import { toHttpError } from '../../../api/middleware/error-handler';

function pgError(code: string, message: string, routine?: string): DatabaseError {
  const err = new DatabaseError(message, message.length, 'error');
  err.code = code;
  err.routine = routine;
  return err;
}

describe('Postgres value errors → 400', () => {
  it('maps the data exceptions a request value causes to 400 invalid_value, without echoing the value', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['22021', 'invalid byte sequence for encoding "UTF8": 0x00', /cannot be stored \(NUL or unpaired surrogate\)/],
      ['22P05', 'unsupported Unicode escape sequence', /cannot be stored/],
      ['22007', 'invalid input syntax for type timestamp with time zone: "0NaN-NaN"', /date or time .* not valid/],
      ['22008', 'date/time field value out of range: "0000-01-01"', /date or time .* out of range/],
      ['22003', 'value "99999999999" is out of range for type integer', /number .* out of range/],
    ];
    for (const [code, pgMessage, message] of cases) {
      const http = toHttpError(pgError(code, pgMessage));
      expect(http.toBody()).toEqual({ error: { message: expect.stringMatching(message), type: 'invalid_request_error', param: null, code: 'invalid_value' } });
      expect(http.status).toBe(400);
      expect(http.message).not.toContain(pgMessage);
    }
  });

  it('maps an unpaired surrogate refused by the JSON parser to 400, but not other invalid text', () => {
    const surrogate = pgError('22P02', 'invalid input syntax for type json', 'json_errsave_error');
    expect(toHttpError(surrogate)).toMatchObject({ status: 400, code: 'invalid_value', message: expect.stringMatching(/unpaired surrogate/) });
    expect(toHttpError(pgError('22P02', 'invalid input syntax for type json', 'json_ereport_error'))).toMatchObject({ status: 400 });
    // A bigint the gateway failed to validate is its own bug: still a 500.
    expect(toHttpError(pgError('22P02', 'invalid input syntax for type bigint: "NaN"', 'pg_strtoint64_safe'))).toMatchObject({ status: 500 });
  });

  it('leaves every other error alone: a 500 stays a 500', () => {
    expect(databaseValueErrorToHttp(pgError('23505', 'duplicate key value'))).toBeUndefined();
    expect(databaseValueErrorToHttp(pgError('22012', 'division by zero'))).toBeUndefined();
    expect(databaseValueErrorToHttp(Object.assign(new Error('not from Postgres'), { code: '22021' }))).toBeUndefined();
    expect(toHttpError(pgError('57P01', 'terminating connection'))).toMatchObject({ status: 500, code: 'internal_error' });
  });
});
