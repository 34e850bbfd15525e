import type { Pool } from 'pg';
import { holdBudget } from '../../../api/budget-hold';
import { HttpError } from '../../../api/http-error';
import type { ChargeDeps } from '../../../budget/charge';

/** A ledger whose connection fails `failures` times, then finds no budget for the caller. */
function flakyLedger(failures: number): { deps: ChargeDeps; calls: () => number } {
  let calls = 0;
  const query = async () => {
    calls++;
    if (calls <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    return { rows: [], rowCount: 0 };
  };
  // Without a budget the hold never reads a price.
  const deps = { pool: { query } as unknown as Pool, prices: undefined as unknown as ChargeDeps['prices'] };
  return { deps, calls: () => calls };
}

const input = {
  reservationId: 'chat-req_hold_test',
  caller: { tenantId: 't1', teamId: null, keyId: 'k1' },
  plan: [],
  call: { kind: 'chat' as const, request: { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] } },
  ttlMs: 60_000,
};

describe('holding a budget before the upstream call', () => {
  it('tries an unreachable ledger again and holds once it answers', async () => {
    const ledger = flakyLedger(2);
    const hold = await holdBudget(ledger.deps, input, [1, 1]);
    expect(hold).toMatchObject({ reservationId: 'chat-req_hold_test', held: false });
    expect(ledger.calls()).toBe(3);
  });

  it('answers 503 ledger_unavailable with Retry-After when the ledger stays unreachable', async () => {
    const ledger = flakyLedger(10);
    const err = await holdBudget(ledger.deps, input, [1, 1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 503, code: 'ledger_unavailable', type: 'api_error', headers: { 'retry-after': '1' } });
    expect(ledger.calls()).toBe(3);
  });

  it('asks nothing when the key cache knows no budget applies', async () => {
    const ledger = flakyLedger(10);
    expect(await holdBudget(ledger.deps, { ...input, budgeted: false }, [1, 1])).toMatchObject({ held: false });
    expect(ledger.calls()).toBe(0);
  });
});
