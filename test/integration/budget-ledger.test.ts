import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Pool } from 'pg';
import { issueKey } from '../../db/keys';
import {
  LedgerErrorCode,
  budgetStatus,
  createBudget,
  reconcileBudgets,
  release,
  releaseExpired,
  reserve,
  settle,
  updateBudget,
  type BudgetPeriod,
  type BudgetScope,
  type UsageFields,
  unheldSettlementCounts,
} from '../../db/ledger';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { DEFAULT_PRICES_FILE, loadPriceFile, parsePriceList, seedPrices } from '../../prices/load-prices';
import { findCurrentPrice, findPriceById, setPrice } from '../../prices/price-store';
import { usdToUnits } from '../../prices/usd';

// Integration files share one Postgres: every test works in its own tenant and a fixed clock
// (no midnight flakes), and the sweeper is only ever run with clocks in the past.
const NOON = new Date('2031-05-10T12:00:00Z');
const HOUR = 3_600_000;

interface Account {
  tenantId: string;
  teamId: string;
  keyId: string;
}

let pool: Pool;

beforeAll(async () => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run through the integration jest project');
  pool = createPool(url, 20);
  await migrate(pool);
});

afterAll(async () => {
  await pool.end();
});

function uid(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

async function newAccount(): Promise<Account> {
  const tenantId = uid('tenant');
  const teamId = uid('team');
  await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $1)', [tenantId]);
  await pool.query('INSERT INTO teams (id, tenant_id, name) VALUES ($1, $2, $1)', [teamId, tenantId]);
  const key = await issueKey(pool, { name: 'ledger-test', tenantId, teamId });
  return { tenantId, teamId, keyId: key.id };
}

async function budget(a: Account, scope: BudgetScope, period: BudgetPeriod, limitUsd: string) {
  const scopeId = scope === 'key' ? a.keyId : scope === 'team' ? a.teamId : a.tenantId;
  return createBudget(pool, { scope, scopeId, period, limitUsd });
}

function reserveFor(a: Account, reservationId: string, amountUsd: string, now = NOON) {
  return reserve(pool, { reservationId, ...a, amountUsd, expiresAt: new Date(now.getTime() + HOUR), now });
}

function usage(requestId: string): UsageFields {
  return { requestId, model: 'gpt-test', provider: 'oai', deployment: 'gpt-4o-mini', inputTokens: 100, outputTokens: 20, status: 'ok', latencyMs: 12 };
}

/** sum(usage cost) == spent for every budget of the tenant, exactly. */
async function expectLedgerBalanced(tenantId: string): Promise<void> {
  const rows = await reconcileBudgets(pool, tenantId);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect({ budget: r.budgetId, usage: r.usageCostUsd }).toEqual({ budget: r.budgetId, usage: r.spentUsd });
}

async function periodCounters(budgetId: string): Promise<Array<{ reserved: bigint; spent: bigint; limit: bigint }>> {
  const { rows } = await pool.query<{ reserved: string; spent: string; limit_usd: string }>(
    'SELECT bp.reserved, bp.spent, b.limit_usd FROM budget_periods bp JOIN budgets b ON b.id = bp.budget_id WHERE b.id = $1',
    [budgetId],
  );
  return rows.map((r) => ({ reserved: usdToUnits(r.reserved), spent: usdToUnits(r.spent), limit: usdToUnits(r.limit_usd) }));
}

describe('reserve under concurrency', () => {
  it('lets exactly 10 of 200 concurrent reservations through a budget that fits 10', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'day', '0.1');
    await budget(a, 'team', 'month', '50');
    await budget(a, 'tenant', 'total', '100');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => reserveFor(a, uid(`conc-${i}`), '0.01')));
    const accepted = results.filter((r) => r.ok);
    expect(accepted).toHaveLength(10);
    for (const r of results) {
      if (!r.ok) expect(r.refusal).toMatchObject({ level: 'key', limitUsd: '0.1', period: 'day', resetsAt: '2031-05-11T00:00:00.000Z' });
    }
    expect(await periodCounters(key.id)).toEqual([{ reserved: usdToUnits('0.1'), spent: 0n, limit: usdToUnits('0.1') }]);
  });

  it('never lets reserved + spent pass the limit while 200 requests reserve, settle and release at once', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'day', '0.1');
    const team = await budget(a, 'team', 'day', '0.5');
    const tenant = await budget(a, 'tenant', 'month', '1');
    let running = true;
    const violations: string[] = [];
    const sampler = (async () => {
      while (running) {
        for (const b of [key, team, tenant]) {
          for (const c of await periodCounters(b.id)) if (c.reserved + c.spent > c.limit) violations.push(`${b.scope}: ${JSON.stringify(c)}`);
        }
      }
    })();
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const id = uid(`life-${i}`);
        const r = await reserveFor(a, id, '0.01');
        if (!r.ok) return 'refused';
        if (i % 3 === 0) {
          await release(pool, id);
          return 'released';
        }
        // Actual cost below the estimate, as settlements usually are: the difference frees room.
        await settle(pool, { reservationId: id, actualCostUsd: '0.0037', usage: usage(id), now: NOON });
        return 'settled';
      }),
    );
    running = false;
    await sampler;
    expect(violations).toEqual([]);
    expect(outcomes.filter((o) => o !== 'refused').length).toBeGreaterThanOrEqual(10);
    for (const b of [key, team, tenant]) {
      for (const c of await periodCounters(b.id)) {
        expect(c.reserved).toBe(0n);
        expect(c.spent).toBeLessThanOrEqual(c.limit);
      }
    }
    await expectLedgerBalanced(a.tenantId);
  });

  it('names the narrowest full level', async () => {
    const a = await newAccount();
    await budget(a, 'key', 'day', '10');
    await budget(a, 'team', 'day', '0.015');
    await budget(a, 'tenant', 'month', '0.012');
    expect((await reserveFor(a, uid('lvl'), '0.01')).ok).toBe(true);
    const refused = await reserveFor(a, uid('lvl'), '0.01');
    expect(refused).toMatchObject({ ok: false, refusal: { level: 'team', limitUsd: '0.015', reservedUsd: '0.01', requestedUsd: '0.01' } });
  });
});

describe('idempotency', () => {
  it('returns the first outcome to a retried reserve without reserving twice', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '1');
    const id = uid('idem');
    const results = await Promise.all(Array.from({ length: 5 }, () => reserveFor(a, id, '0.25')));
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    for (const r of results) expect(r).toMatchObject({ ok: true, amountUsd: '0.25', budgets: [{ budgetId: key.id, level: 'key', resetsAt: null }] });
    expect((await reserveFor(a, id, '0.9')).replayed).toBe(true);
    expect((await periodCounters(key.id))[0]!.reserved).toBe(usdToUnits('0.25'));
  });

  it('replays a refusal even after the limit was raised', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '0.1');
    const id = uid('refused');
    expect((await reserveFor(a, id, '0.5')).ok).toBe(false);
    await updateBudget(pool, key.id, { limitUsd: '10' });
    expect(await reserveFor(a, id, '0.5')).toMatchObject({ ok: false, replayed: true, refusal: { level: 'key', limitUsd: '0.1' } });
    await expect(settle(pool, { reservationId: id, actualCostUsd: '0.1', usage: usage(id) })).rejects.toMatchObject({
      code: LedgerErrorCode.ReservationRefused,
    });
  });

  it('leaves a refusal that only holds cause unrecorded when asked, so the id can reserve once they end', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '1');
    const team = await budget(a, 'team', 'total', '1');
    const holder = uid('holder');
    const waiter = uid('waiter');
    expect((await reserveFor(a, holder, '0.7')).ok).toBe(true);
    const waitable = (id: string, amountUsd: string) =>
      reserve(pool, { reservationId: id, ...a, amountUsd, expiresAt: new Date(NOON.getTime() + HOUR), now: NOON, uncommittedWhileHeld: true });

    // 0.5 fits once the 0.7 hold is gone: waitable, and nothing is written under the id.
    expect(await waitable(waiter, '0.5')).toMatchObject({ ok: false, waitable: true, replayed: false, refusal: { level: 'key', reservedUsd: '0.7' } });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM reservations WHERE id = $1', [waiter]);
    expect(rows[0].n).toBe(0);
    expect(await periodCounters(key.id)).toEqual([{ reserved: usdToUnits('0.7'), spent: 0n, limit: usdToUnits('1') }]);

    // Once the holder settles 0.4, the same id gets its hold.
    await settle(pool, { reservationId: holder, actualCostUsd: '0.4', usage: usage(holder) });
    expect(await waitable(waiter, '0.5')).toMatchObject({ ok: true, replayed: false, amountUsd: '0.5' });
    expect((await periodCounters(team.id))[0]!.reserved).toBe(usdToUnits('0.5'));

    // Spending, not holding, leaves no room for 0.7 (0.4 + 0.7 > 1): final and recorded, even when asked.
    const late = uid('late');
    expect(await waitable(late, '0.7')).toMatchObject({ ok: false, waitable: false, replayed: false });
    expect(await waitable(late, '0.01')).toMatchObject({ ok: false, waitable: false, replayed: true });
    // Without the option, a hold-caused refusal is final as before.
    const plain = uid('plain');
    expect(await reserveFor(a, plain, '0.3')).toMatchObject({ ok: false, waitable: false });
    await release(pool, waiter);
    expect(await reserveFor(a, plain, '0.3')).toMatchObject({ ok: false, replayed: true });
  });

  it('charges a retried settle once and ignores a release after it', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '1');
    const id = uid('settle');
    await reserveFor(a, id, '0.2');
    const [first, ...retries] = await Promise.all([
      settle(pool, { reservationId: id, actualCostUsd: '0.1234567891', usage: usage(id) }),
      settle(pool, { reservationId: id, actualCostUsd: '0.1234567891', usage: usage(id) }),
      settle(pool, { reservationId: id, actualCostUsd: '0.9', usage: usage(id) }),
    ]);
    const all = [first!, ...retries];
    expect(all.filter((s) => !s.replayed)).toHaveLength(1);
    const winner = all.find((s) => !s.replayed)!;
    for (const s of all) expect(s).toMatchObject({ costUsd: winner.costUsd, usageRecordId: winner.usageRecordId, settledFrom: 'reserved' });
    expect(await release(pool, id)).toEqual({ reservationId: id, released: false, state: 'settled' });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM usage_records WHERE reservation_id = $1', [id]);
    expect(rows[0].n).toBe(1);
    expect(await periodCounters(key.id)).toEqual([{ reserved: 0n, spent: usdToUnits(winner.costUsd), limit: usdToUnits('1') }]);
    await expectLedgerBalanced(a.tenantId);
  });

  it('releases once, and tolerates an unknown id', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '1');
    const id = uid('release');
    await reserveFor(a, id, '0.3');
    const releases = await Promise.all([release(pool, id), release(pool, id), release(pool, id)]);
    expect(releases.filter((r) => r.released)).toHaveLength(1);
    expect((await periodCounters(key.id))[0]!.reserved).toBe(0n);
    expect(await release(pool, uid('never-reserved'))).toMatchObject({ released: false, state: null });
    await expect(settle(pool, { reservationId: uid('nope'), actualCostUsd: 0, usage: usage('x') })).rejects.toMatchObject({
      code: LedgerErrorCode.ReservationNotFound,
    });
  });
});

describe('settlement and usage', () => {
  it('records usage at every level so that usage sums equal spent to the unit', async () => {
    const a = await newAccount();
    const b = await newAccount();
    // A second key in the same team and tenant.
    const other = await issueKey(pool, { name: 'second', tenantId: a.tenantId, teamId: a.teamId });
    await budget(a, 'key', 'day', '5');
    await budget(a, 'team', 'month', '5');
    await budget(a, 'tenant', 'total', '5');
    await budget(b, 'tenant', 'day', '5');
    const price = (await seedAndFind('gpt-4o-mini'))!;
    const costs = ['0.0000001', '0.0123456789', '0.33', '0.000000035', '1'];
    for (const [i, cost] of costs.entries()) {
      const acct = i % 2 === 0 ? a : { ...a, keyId: other.id };
      const id = uid('usage');
      expect((await reserveFor(acct, id, '1.5')).ok).toBe(true);
      await settle(pool, { reservationId: id, actualCostUsd: cost, usage: { ...usage(id), tags: { project: 'x' }, priceId: price.id }, now: NOON });
    }
    const idB = uid('usage-b');
    await reserveFor(b, idB, '0.1');
    await settle(pool, { reservationId: idB, actualCostUsd: 0.05, usage: usage(idB) });
    await expectLedgerBalanced(a.tenantId);
    await expectLedgerBalanced(b.tenantId);
    const rows = await reconcileBudgets(pool, a.tenantId);
    expect(rows.find((r) => r.scope === 'tenant')).toMatchObject({ spentUsd: '1.3423458139', usageRecords: 5 });
    expect(rows.find((r) => r.scope === 'key')).toMatchObject({ spentUsd: '1.3300001', usageRecords: 3 });
    const { rows: usageRows } = await pool.query('SELECT price_id, tags, team_id FROM usage_records WHERE tenant_id = $1 LIMIT 1', [a.tenantId]);
    expect(usageRows[0]).toEqual({ price_id: price.id, tags: { project: 'x' }, team_id: a.teamId });
  });

  it('keeps a reservation without any budget so its usage is still recorded', async () => {
    const a = await newAccount();
    const id = uid('unbudgeted');
    expect(await reserveFor(a, id, '3')).toMatchObject({ ok: true, budgets: [] });
    expect(await settle(pool, { reservationId: id, actualCostUsd: '2', usage: usage(id) })).toMatchObject({ costUsd: '2', replayed: false });
  });
});

describe('expiry', () => {
  it('releases expired reservations, and a late settle still records the real spend', async () => {
    const a = await newAccount();
    const key = await budget(a, 'key', 'total', '1');
    const past = new Date('2001-02-03T04:05:06Z');
    const expired = uid('expired');
    const expiredToo = uid('expired');
    const live = uid('live');
    for (const id of [expired, expiredToo]) {
      await reserve(pool, { reservationId: id, ...a, amountUsd: '0.3', expiresAt: new Date(past.getTime() + 60_000), now: past });
    }
    await reserve(pool, { reservationId: live, ...a, amountUsd: '0.3', expiresAt: new Date(past.getTime() + HOUR), now: past });
    const swept = await releaseExpired(pool, new Date(past.getTime() + 120_000), { batchSize: 1 });
    expect(swept).toBeGreaterThanOrEqual(2);
    expect(await release(pool, expired)).toMatchObject({ released: false, state: 'released' });
    expect((await periodCounters(key.id))[0]!.reserved).toBe(usdToUnits('0.3'));
    expect(await releaseExpired(pool, new Date(past.getTime() + 120_000))).toBe(0);

    // The process that "died" comes back and settles: the provider was paid, so it counts.
    const late = await settle(pool, { reservationId: expired, actualCostUsd: '0.25', usage: usage(expired) });
    expect(late).toMatchObject({ settledFrom: 'released', costUsd: '0.25' });
    expect((await periodCounters(key.id))[0]).toMatchObject({ reserved: usdToUnits('0.3'), spent: usdToUnits('0.25') });
    const { rows } = await pool.query('SELECT state, release_reason FROM reservations WHERE id = $1', [expiredToo]);
    expect(rows[0]).toEqual({ state: 'released', release_reason: 'expired' });
    await expectLedgerBalanced(a.tenantId);
  });
});

describe('periods', () => {
  it('starts a new day from zero and charges a late settlement to the day it reserved in', async () => {
    const a = await newAccount();
    const day = await budget(a, 'key', 'day', '0.05');
    const lateEvening = new Date('2031-05-10T23:59:59Z');
    const first = uid('day1');
    expect((await reserveFor(a, first, '0.05', lateEvening)).ok).toBe(true);
    expect(await reserveFor(a, uid('day1'), '0.01', lateEvening)).toMatchObject({
      ok: false,
      refusal: { level: 'key', resetsAt: '2031-05-11T00:00:00.000Z' },
    });
    const nextMorning = new Date('2031-05-11T00:00:01Z');
    const second = uid('day2');
    expect(await reserveFor(a, second, '0.05', nextMorning)).toMatchObject({ ok: true, budgets: [{ periodStart: '2031-05-11T00:00:00.000Z' }] });
    await settle(pool, { reservationId: first, actualCostUsd: '0.04', usage: usage(first), now: nextMorning });
    expect(await budgetStatus(pool, day.id, lateEvening)).toMatchObject({ spentUsd: '0.04', reservedUsd: '0', remainingUsd: '0.01' });
    expect(await budgetStatus(pool, day.id, nextMorning)).toMatchObject({ spentUsd: '0', reservedUsd: '0.05', remainingUsd: '0' });
    expect(await budgetStatus(pool, day.id, new Date('2031-05-12T08:00:00Z'))).toMatchObject({
      spentUsd: '0',
      reservedUsd: '0',
      remainingUsd: '0.05',
      resetsAt: '2031-05-13T00:00:00.000Z',
    });
  });

  it('rolls a month budget over at the first of the month, UTC', async () => {
    const a = await newAccount();
    await budget(a, 'team', 'month', '1');
    expect((await reserveFor(a, uid('m'), '1', new Date('2031-01-31T23:00:00Z'))).ok).toBe(true);
    expect(await reserveFor(a, uid('m'), '1', new Date('2031-01-31T23:30:00Z'))).toMatchObject({
      ok: false,
      refusal: { level: 'team', resetsAt: '2031-02-01T00:00:00.000Z' },
    });
    expect((await reserveFor(a, uid('m'), '1', new Date('2031-02-01T00:00:00Z'))).ok).toBe(true);
  });
});

async function seedAndFind(model: string) {
  await seedPrices(pool, loadPriceFile(path.resolve(__dirname, '..', '..', DEFAULT_PRICES_FILE)));
  return findCurrentPrice(pool, model);
}

describe('price seeding', () => {
  it('seeds the committed file idempotently and resolves Bedrock cross-region ids', async () => {
    const list = loadPriceFile(path.resolve(__dirname, '..', '..', DEFAULT_PRICES_FILE));
    await seedPrices(pool, list);
    expect(await seedPrices(pool, list)).toEqual({ written: [], unchanged: list.prices.length });
    expect(await findCurrentPrice(pool, 'gpt-4o-mini')).toMatchObject({ inputPerMTokUsd: '0.15', outputPerMTokUsd: '0.6', source: 'seed' });
    expect(await findCurrentPrice(pool, 'us.anthropic.claude-3-5-haiku-20241022-v1:0')).toMatchObject({
      model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
    });
    expect(await findCurrentPrice(pool, 'no-such-model')).toBeNull();
  });

  it('versions a changed price, keeps old versions, and does not undo an admin edit', async () => {
    const model = uid('test-model');
    const v1 = parsePriceList({ taken_on: '2031-01-01', prices: [{ models: [model], input: 1, output: 2 }] });
    expect((await seedPrices(pool, v1)).written).toEqual([model]);
    const first = (await findCurrentPrice(pool, model))!;
    const v2 = parsePriceList({ taken_on: '2031-02-01', prices: [{ models: [model], input: 1.5, output: 2 }] });
    expect((await seedPrices(pool, v2)).written).toEqual([model]);
    const second = (await findCurrentPrice(pool, model))!;
    expect(second.id).not.toBe(first.id);
    expect(second.inputPerMTokUsd).toBe('1.5');
    expect(await findPriceById(pool, first.id)).toMatchObject({ inputPerMTokUsd: '1' });

    await setPrice(pool, { model, kind: 'chat', inputPerMTokUsd: '3', outputPerMTokUsd: '4' });
    expect((await seedPrices(pool, v2)).written).toEqual([]);
    expect(await findCurrentPrice(pool, model)).toMatchObject({ inputPerMTokUsd: '3', source: 'admin' });
  });
});

describe('settling a request nothing was held for', () => {
  it('writes the settled reservation and its usage record once, however often and concurrently it is retried', async () => {
    const a = await newAccount();
    const id = uid('unheld');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => settle(pool, { reservationId: id, actualCostUsd: '0.0042', usage: usage(id), unheldCaller: a, now: NOON })),
    );
    expect(new Set(results.map((r) => r.usageRecordId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(results.every((r) => r.costUsd === '0.0042')).toBe(true);
    const { rows } = await pool.query<{ state: string; amount_usd: string; actual_cost_usd: string }>(
      'SELECT state, amount_usd, actual_cost_usd FROM reservations WHERE id = $1',
      [id],
    );
    expect(rows.map((r) => [r.state, Number(r.amount_usd), Number(r.actual_cost_usd)])).toEqual([['settled', 0, 0.0042]]);
    const usageRows = await pool.query('SELECT 1 FROM usage_records WHERE reservation_id = $1', [id]);
    expect(usageRows.rowCount).toBe(1);
  });

  it('writes a burst of concurrent settlements in fewer statements, each under its own id with its own usage', async () => {
    const a = await newAccount();
    const ids = Array.from({ length: 40 }, (_, i) => uid(`burst${i}`));
    const before = unheldSettlementCounts(pool);
    const results = await Promise.all(
      ids.map((id, i) =>
        settle(pool, { reservationId: id, actualCostUsd: `0.00${i + 10}`, usage: { ...usage(id), inputTokens: 100 + i }, unheldCaller: a, now: NOON }),
      ),
    );
    const after = unheldSettlementCounts(pool);
    expect(after.rows - before.rows).toBe(40);
    expect(after.statements - before.statements).toBeLessThan(40);
    expect(results.every((r) => !r.replayed && r.settledFrom === 'reserved')).toBe(true);
    const { rows } = await pool.query<{ id: string; reservation_id: string; input_tokens: number; cost_usd: string; tags: unknown }>(
      'SELECT id, reservation_id, input_tokens, cost_usd, tags FROM usage_records WHERE reservation_id = ANY($1)',
      [ids],
    );
    expect(rows).toHaveLength(40);
    const byReservation = new Map(rows.map((r) => [r.reservation_id, r]));
    ids.forEach((id, i) => {
      const row = byReservation.get(id)!;
      expect(results[i]!.usageRecordId).toBe(row.id);
      expect(Number(results[i]!.costUsd)).toBe(Number(`0.00${i + 10}`));
      expect([row.input_tokens, Number(row.cost_usd)]).toEqual([100 + i, Number(`0.00${i + 10}`)]);
    });
    const reservations = await pool.query('SELECT 1 FROM reservations WHERE id = ANY($1) AND state = $2', [ids, 'settled']);
    expect(reservations.rowCount).toBe(40);
  });

  it('fails only the caller whose row the database refuses when settlements share a statement', async () => {
    const a = await newAccount();
    const good = Array.from({ length: 8 }, (_, i) => uid(`good${i}`));
    const bad = uid('badkey');
    const settleFor = (id: string, keyId: string) =>
      settle(pool, { reservationId: id, actualCostUsd: '0.001', usage: usage(id), unheldCaller: { ...a, keyId }, now: NOON });
    // The first goes out alone; the rest, the unknown key among them, queue behind it and share a statement.
    const first = settleFor(good[0]!, a.keyId);
    const rest = [
      ...good.slice(1, 4).map((id) => settleFor(id, a.keyId)),
      settleFor(bad, 'key_does_not_exist'),
      ...good.slice(4).map((id) => settleFor(id, a.keyId)),
    ];
    const outcomes = await Promise.allSettled([first, ...rest]);
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/foreign key/);
    const written = await pool.query<{ reservation_id: string }>('SELECT reservation_id FROM usage_records WHERE reservation_id = ANY($1)', [[...good, bad]]);
    expect(written.rows.map((r) => r.reservation_id).sort()).toEqual([...good].sort());
  });

  it('settles a held reservation normally even when the caller passes unheldCaller', async () => {
    const a = await newAccount();
    await budget(a, 'key', 'total', '1');
    const id = uid('held');
    expect((await reserveFor(a, id, '0.5')).ok).toBe(true);
    const settled = await settle(pool, { reservationId: id, actualCostUsd: '0.25', usage: usage(id), unheldCaller: a, now: NOON });
    expect(settled).toMatchObject({ costUsd: '0.25', replayed: false, settledFrom: 'reserved' });
    const [status] = (await reconcileBudgets(pool, a.tenantId)).map((r) => [r.spentUsd, r.reservedUsd]);
    expect(status).toEqual(['0.25', '0']);
  });
});
