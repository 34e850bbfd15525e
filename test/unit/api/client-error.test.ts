import { parserError } from '../../../api/client-error';

describe('parserError', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'headers_too_large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request_timeout'],
    ['HPE_INVALID_CHUNK_SIZE', 400, 'invalid_http_request'],
    [undefined, 400, 'invalid_http_request'],
  ])('%s → %i %s', (code, status, errorCode) => {
    const error = parserError(code);
    expect(error.status).toBe(status);
    expect(error.toBody().error).toMatchObject({ type: 'invalid_request_error', code: errorCode, param: null });
  });
});
