import express, { type RequestHandler } from 'express';
import { HttpError } from '../http-error';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../validation/json-depth';

/**
 * The API's JSON body parser. Every content type is read as JSON (some clients omit the
 * header; a body that is not JSON is then a clean 400, and one over the limit a 413), and a body
 * nested deeper than {@link MAX_JSON_DEPTH} levels is a 400 `invalid_json`.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, type: () => true, strict: false });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err !== undefined && err !== null) return next(err);
      if (jsonDepthExceeds(req.body)) {
        return next(new HttpError(400, `The JSON body of your request is nested more than ${MAX_JSON_DEPTH} levels deep.`, { code: 'invalid_json' }));
      }
      next();
    });
  };
}
