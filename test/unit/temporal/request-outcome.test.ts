import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType } from '../../../errors/failure-types';
import { requestMemo } from '../../../temporal/request-memo';
import { outcomeOf } from '../../../workflows/record-outcome';

describe('outcomeOf', () => {
  const failure = (type: string) => ApplicationFailure.create({ message: 'x', type, nonRetryable: true });

  it('names budget refusals, request faults, upstream failures and cancellation', () => {
    expect(outcomeOf(failure(FailureType.BudgetExceeded))).toBe('budget_exceeded');
    expect(outcomeOf(failure(FailureType.PriceUnknown))).toBe('price_unknown');
    expect(outcomeOf(failure(FailureType.ProviderBadRequest))).toBe('bad_request');
    expect(outcomeOf(failure(FailureType.ProviderContextLength))).toBe('bad_request');
    expect(outcomeOf(failure(FailureType.ProviderRateLimited))).toBe('failed');
    expect(outcomeOf(failure(FailureType.ProviderTimeout))).toBe('failed');
    expect(outcomeOf(new Error('anything else'))).toBe('failed');
    expect(outcomeOf(new CancelledFailure('cancelled'))).toBe('cancelled');
  });
});

describe('requestMemo', () => {
  it('lists the plan in order and marks the fallback models’ deployments', () => {
    expect(
      requestMemo('main', [
        { model: 'main', provider: 'a', upstreamModel: 'm1' },
        { model: 'backup', provider: 'b', upstreamModel: 'm2' },
      ]),
    ).toEqual({
      routePlan: [
        { model: 'main', provider: 'a', upstreamModel: 'm1', fallback: false },
        { model: 'backup', provider: 'b', upstreamModel: 'm2', fallback: true },
      ],
    });
  });
});
