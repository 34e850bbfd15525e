import { setTimeout as delay } from 'node:timers/promises';
import { budgetStatus, createBudget, reserve } from '../../db/ledger';
import { BUDGET_SWEEPER_SCHEDULE_ID, ensureBudgetSweeperSchedule } from '../../temporal/budget-sweeper';
import { newAccount, uid } from '../support/accounts';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

describe('budget sweeper Schedule', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('exists after start, every minute with overlap SKIP, and a second create is a no-op', async () => {
    const described = await gw.gateway.client.schedule.getHandle(BUDGET_SWEEPER_SCHEDULE_ID).describe();
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.spec.intervals?.[0]?.every).toBe(60_000);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'releaseExpiredReservationsWorkflow', taskQueue: 'switchyard-interactive' });
    expect(await ensureBudgetSweeperSchedule(gw.gateway.client)).toBe('exists');
  });

  it('releases an expired hold when triggered', async () => {
    const pool = gw.gateway.pool;
    const a = await newAccount(pool, gw.url);
    const budget = await createBudget(pool, { scope: 'tenant', scopeId: a.tenantId, period: 'total', limitUsd: '1' });
    const reservationId = uid('stream-crashed');
    // A hold made two hours ago by a process that died: it expired an hour ago.
    const then = new Date(Date.now() - 2 * 3_600_000);
    const held = await reserve(pool, { reservationId, ...a, amountUsd: '0.25', expiresAt: new Date(then.getTime() + 3_600_000), now: then });
    expect(held.ok).toBe(true);

    await gw.gateway.client.schedule.getHandle(BUDGET_SWEEPER_SCHEDULE_ID).trigger();
    let state = '';
    for (let i = 0; i < 100 && state !== 'released'; i++) {
      await delay(100);
      const { rows } = await pool.query<{ state: string; release_reason: string | null }>('SELECT state, release_reason FROM reservations WHERE id = $1', [
        reservationId,
      ]);
      state = rows[0]!.state;
      if (state === 'released') expect(rows[0]!.release_reason).toBe('expired');
    }
    expect(state).toBe('released');
    expect((await budgetStatus(pool, budget.id))!.reservedUsd).toBe('0');
  });
});
