import { DatabaseError } from 'pg';
import { HttpError } from './http-error';

const UNSTORABLE_CHARACTERS = 'A value in the request contains characters that cannot be stored (NUL or unpaired surrogate).';

/**
 * Postgres data exceptions (SQLSTATE class 22) that only a request's own values cause: the
 * gateway passes ids, cursors, names and metadata to queries as they came, and Postgres is
 * what refuses a NUL in `text`, a `\u0000` or unpaired-surrogate escape in `jsonb`, or a
 * date or number beyond its types' range. Each is the client's mistake, so a 400, not a 500.
 * The messages never echo the value: it is the unprintable part.
 */
const VALUE_ERRORS: ReadonlyMap<string, string> = new Map([
  ['22021', UNSTORABLE_CHARACTERS], // character_not_in_repertoire: a NUL byte in text
  ['22P05', UNSTORABLE_CHARACTERS], // untranslatable_character: a \u0000 escape in jsonb
  ['22007', 'A date or time in the request is not valid.'], // invalid_datetime_format
  ['22008', 'A date or time in the request is out of range.'], // datetime_field_overflow
  ['22003', 'A number in the request is out of range.'], // numeric_value_out_of_range
]);

/**
 * invalid_text_representation. From the JSON parser (routine `json_errsave_error`, or
 * `json_ereport_error` before Postgres 16) it can only be an unpaired surrogate escape in a
 * value: the gateway writes jsonb with JSON.stringify, so the syntax is otherwise sound. From
 * any other type (`invalid input syntax for type bigint`) it means the gateway let through a
 * value it should have validated, so it stays a 500 that gets logged.
 */
const INVALID_TEXT_REPRESENTATION = '22P02';

/** The 400 for a Postgres error caused by a value in the request, or undefined for any other error. */
export function databaseValueErrorToHttp(err: unknown): HttpError | undefined {
  if (!(err instanceof DatabaseError)) return undefined;
  const message = valueErrorMessage(err);
  return message === undefined ? undefined : new HttpError(400, message, { code: 'invalid_value' });
}

function valueErrorMessage(err: DatabaseError): string | undefined {
  if (err.code === INVALID_TEXT_REPRESENTATION) return err.routine?.startsWith('json_') ? UNSTORABLE_CHARACTERS : undefined;
  return err.code === undefined ? undefined : VALUE_ERRORS.get(err.code);
}
