import { describe, expect, it } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { formatCost, formatTokens } from '../../src/core/usage/format.js';
import { costOf, modelCandidates, PRICE_TABLE, resolvePrice, SOURCES } from '../../src/core/usage/prices.js';
import { validatePricing } from '../../src/core/usage/pricing-config.js';
import { BAND_EDGES, bandOf, type ModelTotals } from '../../src/core/usage/types.js';

describe('model id matching', () => {
  it('resolves dated ids by dropping the date, and nothing looser', () => {
    expect(resolvePrice('claude-sonnet-4-5-20250929')?.id).toBe('claude-sonnet-4-5');
    expect(resolvePrice('claude-sonnet-4-5@20250929')?.id).toBe('claude-sonnet-4-5');
    expect(resolvePrice('gpt-6-sol-2026-09-22')?.id).toBe('gpt-6-sol');
    expect(resolvePrice('Claude-Opus-4-6')?.id).toBe('claude-opus-4-6');
    expect(resolvePrice('claude-sonnet-4-20250514')?.id).toBe('claude-sonnet-4-0');
    expect(resolvePrice('claude-opus-4-6-20260205:fast')?.id).toBe('claude-opus-4-6:fast');
    expect(resolvePrice('claude-sonnet-4-5-experimental')).toBeNull();
    expect(resolvePrice('claude-sonnet')).toBeNull();
    expect(resolvePrice('gpt-6')).toBeNull();
    expect(resolvePrice('toString')).toBeNull();
    expect(modelCandidates('claude-haiku-4-5-20251001')).toEqual(['claude-haiku-4-5-20251001', 'claude-haiku-4-5']);
  });

  it('prefers a config override, matched the same way', () => {
    const overrides = { 'Claude-Sonnet-4-5': { input: 1, output: 2 }, 'my-local-model': { input: 0, output: 0 } };
    expect(resolvePrice('claude-sonnet-4-5-20250929', overrides)).toMatchObject({ id: 'claude-sonnet-4-5', from: 'config', price: { input: 1 } });
    expect(resolvePrice('my-local-model', overrides)?.from).toBe('config');
    expect(resolvePrice('claude-opus-4-6', overrides)?.from).toBe('table');
  });
});

describe('the price table', () => {
  it('is dated, cites a source for every model, and uses only known long-context thresholds', () => {
    expect(PRICE_TABLE.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [id, e] of Object.entries(PRICE_TABLE.models)) {
      expect(SOURCES[e.source], id).toMatch(/^https:\/\//);
      expect(e.input >= 0 && e.output > 0, id).toBe(true);
      if (e.long_context) expect(BAND_EDGES as readonly number[], id).toContain(e.long_context.threshold);
    }
  });

  it('bills a model\'s usage band by band: the long rate only above its threshold', () => {
    const price = PRICE_TABLE.models['claude-haiku-5-5']!;
    const m: ModelTotals = {
      requests: 2,
      bands: {
        [bandOf(90_000)]: { input: 90_000, output: 1_000, cache_read: 0, cache_write: 0, cache_write_1h: 0 },
        [bandOf(150_000)]: { input: 150_000, output: 1_000, cache_read: 0, cache_write: 0, cache_write_1h: 0 },
      },
    };
    expect(costOf(m, price)).toBeCloseTo(90_000 * 0.1e-6 + 1_000 * 0.5e-6 + 150_000 * 0.5e-6 + 1_000 * 2.5e-6, 12);
  });

  it('gives null, not a partial sum, when tokens of a kind have no rate', () => {
    const m: ModelTotals = { requests: 1, bands: { 0: { input: 10, output: 10, cache_read: 0, cache_write: 5, cache_write_1h: 0 } } };
    expect(costOf(m, { input: 1, output: 1 })).toBeNull();
    expect(costOf(m, { input: 1, output: 1, cache_write: 2 })).toBeCloseTo(30e-6, 12);
  });
});

describe('[pricing] config validation', () => {
  it('accepts rates and a long-context tier, warns on unknown keys', () => {
    const { pricing, warnings } = validatePricing({
      'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, cache_write_1h: 6, long_context: { threshold: 200000n, input: 6, output: 22.5 } },
      'local-llm': { input: 0, output: 0, currency: 'EUR' },
    }, '/h/config.toml');
    expect(pricing['claude-sonnet-4-5']!.long_context).toEqual({ threshold: 200000, input: 6, output: 22.5 });
    expect(pricing['local-llm']).toEqual({ input: 0, output: 0 });
    expect(warnings).toEqual(['unknown key "pricing."local-llm".currency" in /h/config.toml (ignored)']);
  });

  it.each([
    [{ m: { input: '3', output: 15 } }, 'pricing."m".input in /c must be a number of USD per million tokens from 0 to 10000, not the string "3"'],
    [{ m: { input: -1, output: 15 } }, 'pricing."m".input in /c must be a number of USD per million tokens from 0 to 10000, not -1'],
    [{ m: { input: 3 } }, 'pricing."m" in /c has no output price'],
    [{ m: 3 }, 'pricing."m" in /c must be a table with input and output prices, not 3'],
    [{ m: { input: 1, output: 1, long_context: { threshold: 150000, input: 2, output: 2 } } }, 'pricing."m".long_context.threshold in /c must be one of 100000, 128000, 200000, 272000 (prompt tokens), not 150000'],
    [[], 'pricing in /c must be a table of [pricing."model-id"] entries, not an array'],
  ])('rejects %j with one clear message', (raw, message) => {
    let err: unknown;
    try {
      validatePricing(raw, '/c');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FleetError);
    expect((err as FleetError).message).toBe(message);
    expect((err as FleetError).hint).toBeTruthy();
  });
});

describe('formatting', () => {
  it.each([
    [0, '0'], [950, '950'], [1_000, '1.0k'], [12_345, '12.3k'], [99_949, '99.9k'], [99_950, '100k'],
    [123_456, '123k'], [999_499, '999k'], [999_950, '1.0M'], [1_234_567, '1.2M'], [45_600_000, '45.6M'], [2_500_000_000, '2.5B'],
  ])('tokens %d → %s', (n, s) => expect(formatTokens(n)).toBe(s));

  it.each([
    [null, '?'], [0, '$0.00'], [0.004, '<$0.01'], [0.005, '$0.01'], [4.1234, '$4.12'], [2.217, '$2.22'], [1.005, '$1.01'], [1234.5, '$1,234.50'],
  ])('cost %s → %s', (usd, s) => expect(formatCost(usd)).toBe(s));
});
