import { localActivityOptions } from '../../../workflows/attempt-activities';

describe('localActivityOptions', () => {
  it('carries summary, timeouts and retry policy over, and drops the heartbeat timeout', () => {
    const retry = { maximumAttempts: 3, initialInterval: 50, backoffCoefficient: 2, maximumInterval: 500, nonRetryableErrorTypes: ['ProviderBadRequest'] };
    expect(
      localActivityOptions({
        summary: 'oai / gpt-4o-mini',
        startToCloseTimeout: 65_000,
        scheduleToCloseTimeout: 200_000,
        heartbeatTimeout: 10_000,
        retry,
      }),
    ).toEqual({ summary: 'oai / gpt-4o-mini', startToCloseTimeout: 65_000, scheduleToCloseTimeout: 200_000, retry });
  });

  it('leaves out what the regular options leave out', () => {
    expect(localActivityOptions({ startToCloseTimeout: 5_000 })).toEqual({ startToCloseTimeout: 5_000 });
  });
});
