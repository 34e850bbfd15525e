import path from 'node:path';
import { ConfigError, loadConfigFile } from '../../config/load-config';
import { DEFAULT_PRICES_FILE, loadPriceFile, parsePriceList } from '../../prices/load-prices';
import { usageCostUsd, type Price } from '../../prices/price';
import { priceLookupKeys } from '../../prices/price-store';
import { normalizeUsd, tokenCostUnits, unitsToUsd, usdToUnits } from '../../prices/usd';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the committed price list', () => {
  const list = loadPriceFile(path.join(ROOT, DEFAULT_PRICES_FILE));

  it('validates and says when the prices were taken', () => {
    expect(list.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(list.prices.length).toBeGreaterThan(40);
  });

  it('prices every upstream model switchyard.yaml routes to', () => {
    const config = loadConfigFile(path.join(ROOT, 'switchyard.yaml'), {});
    const priced = new Set(list.prices.map((p) => p.model));
    const missing = [...config.models.values()]
      .flatMap((route) => route.deployments.map((d) => d.upstreamModel))
      .filter((model) => !priceLookupKeys(model).some((key) => priced.has(key)));
    expect(missing).toEqual([]);
  });

  it('marks embedding models as such and gives chat models an output cap', () => {
    for (const p of list.prices) {
      if (p.kind === 'embedding') expect(Number(p.outputPerMTokUsd)).toBe(0);
      else expect(p.maxOutputTokens).toBeGreaterThan(0);
    }
    expect(list.prices.find((p) => p.model === 'amazon.titan-embed-text-v2:0')?.kind).toBe('embedding');
  });
});

describe('parsePriceList', () => {
  const entry = { models: ['m1'], input: 1, output: 2 };

  it('expands aliases and defaults kind to chat', () => {
    const list = parsePriceList({ taken_on: '2025-01-01', prices: [{ ...entry, models: ['a', 'b'], cached_input: 0.5 }] });
    expect(list.prices).toEqual([
      { model: 'a', kind: 'chat', inputPerMTokUsd: 1, cachedInputPerMTokUsd: 0.5, outputPerMTokUsd: 2, maxOutputTokens: null },
      { model: 'b', kind: 'chat', inputPerMTokUsd: 1, cachedInputPerMTokUsd: 0.5, outputPerMTokUsd: 2, maxOutputTokens: null },
    ]);
  });

  it.each([
    [{ taken_on: '2025-01-01', prices: [{ ...entry, input: -1 }] }, /prices\.0\.input/],
    [{ taken_on: '2025-01-01', prices: [{ ...entry, colour: 'red' }] }, /prices\.0.*colour/],
    [{ taken_on: 'yesterday', prices: [entry] }, /taken_on: must be a YYYY-MM-DD date/],
    [{ taken_on: '2025-01-01', prices: [entry, { ...entry, models: ['m2', 'm1'] }] }, /prices\.1\.models\.1: "m1" is already priced by prices\.0/],
    [{ taken_on: '2025-01-01', prices: [{ ...entry, kind: 'image' }] }, /prices\.0\.kind/],
  ])('rejects %j naming the field', (raw, message) => {
    expect(() => parsePriceList(raw, 'test.yaml')).toThrow(ConfigError);
    expect(() => parsePriceList(raw, 'test.yaml')).toThrow(message);
  });

  it('names the file when it cannot be read', () => {
    expect(() => loadPriceFile('/nonexistent/prices.yaml')).toThrow(/cannot read price file \/nonexistent\/prices.yaml/);
  });
});

describe('usd', () => {
  it('round-trips decimal strings and numbers exactly', () => {
    expect(unitsToUsd(usdToUnits('2.5000000000'))).toBe('2.5');
    expect(unitsToUsd(usdToUnits(0.1) + usdToUnits(0.2))).toBe('0.3');
    expect(normalizeUsd('10')).toBe('10');
    expect(normalizeUsd('0.0000000001')).toBe('0.0000000001');
    expect(normalizeUsd('1.500000000000')).toBe('1.5');
  });

  it('refuses amounts it cannot hold exactly', () => {
    expect(() => usdToUnits('0.00000000001')).toThrow(RangeError);
    expect(() => usdToUnits(-1)).toThrow(RangeError);
    expect(() => usdToUnits('-1')).toThrow(RangeError);
    expect(() => usdToUnits(Number.NaN)).toThrow(RangeError);
    expect(() => usdToUnits('1e3')).toThrow(RangeError);
  });

  it('rounds token costs up to the 1e-10 unit', () => {
    // 1 token at 0.00015 USD per million = 1.5e-10 USD → 2 units.
    expect(tokenCostUnits(1, usdToUnits('0.00015'))).toBe(2n);
    expect(tokenCostUnits(0, usdToUnits('100'))).toBe(0n);
    expect(() => tokenCostUnits(1.5, 1n)).toThrow(RangeError);
  });
});

describe('usageCostUsd', () => {
  const price: Price = {
    id: '1',
    model: 'gpt-4o',
    kind: 'chat',
    inputPerMTokUsd: '2.5',
    cachedInputPerMTokUsd: '1.25',
    outputPerMTokUsd: '10',
    maxOutputTokens: 16384,
    source: 'seed',
    createdAt: new Date(0),
  };

  it('bills cached prompt tokens at the cache price and the rest at the input price', () => {
    // 1000 prompt tokens of which 400 cached: 600 × 2.5 + 400 × 1.25 + 200 × 10 per million.
    expect(usageCostUsd(price, { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200 })).toBe('0.004');
    expect(usageCostUsd(price, { inputTokens: 1000, outputTokens: 0 })).toBe('0.0025');
  });

  it('uses the input price when no cache price is known', () => {
    expect(usageCostUsd({ ...price, cachedInputPerMTokUsd: null }, { inputTokens: 1000, cachedInputTokens: 1000, outputTokens: 0 })).toBe('0.0025');
  });
});

describe('priceLookupKeys', () => {
  it('falls back from a Bedrock cross-region profile to the base model id', () => {
    expect(priceLookupKeys('us.anthropic.claude-3-5-haiku-20241022-v1:0')).toEqual([
      'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      'anthropic.claude-3-5-haiku-20241022-v1:0',
    ]);
    expect(priceLookupKeys('gpt-4o')).toEqual(['gpt-4o']);
  });
});
