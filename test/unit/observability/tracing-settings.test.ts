import { tracingSettingsFromEnv } from '../../../observability/tracing';

describe('tracingSettingsFromEnv', () => {
  it('is off without an endpoint variable', () => {
    expect(tracingSettingsFromEnv({})).toBeUndefined();
    expect(tracingSettingsFromEnv({ OTEL_SERVICE_NAME: 'gw' })).toBeUndefined();
  });

  it('appends /v1/traces to the base endpoint, once', () => {
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'switchyard',
    });
  });

  it('uses the traces endpoint as it is, over the base one', () => {
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces',
        OTEL_SERVICE_NAME: 'gw',
      }),
    ).toEqual({ tracesUrl: 'http://b:4318/traces', serviceName: 'gw' });
  });
});
