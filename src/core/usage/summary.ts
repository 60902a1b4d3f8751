// From raw per-model totals to the `usage` object of `list --json` / `cost --json`.
import { costOf, type PricingOverrides, resolvePrice } from './prices.js';
import { type AgentUsage, type ModelUsage, sumBands, type UsageTotals } from './types.js';

/** Round to a millionth of a dollar: enough for any sum, free of float noise in JSON. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

export function modelUsage(model: string, totals: UsageTotals, overrides: PricingOverrides = {}): ModelUsage {
  const m = totals[model]!;
  const c = sumBands(m);
  const price = resolvePrice(model, overrides);
  const cost = price ? costOf(m, price.price) : null;
  return {
    model,
    input_tokens: c.input,
    output_tokens: c.output,
    cache_read_tokens: c.cache_read,
    cache_write_tokens: c.cache_write + c.cache_write_1h,
    cost_usd: cost === null ? null : roundUsd(cost),
  };
}

function tokensOf(u: ModelUsage): number {
  return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
}

/**
 * Price an agent's totals. null when there is no usage at all (an agent without a transcript, or
 * one that has not called its model yet). Models are listed most tokens first.
 */
export function summarizeUsage(totals: UsageTotals, overrides: PricingOverrides = {}): AgentUsage | null {
  const models = Object.keys(totals)
    .map((m) => modelUsage(m, totals, overrides))
    .filter((u) => tokensOf(u) > 0)
    .sort((a, b) => tokensOf(b) - tokensOf(a) || a.model.localeCompare(b.model));
  if (models.length === 0) return null;
  const unpriced = models.filter((u) => u.cost_usd === null).map((u) => u.model);
  const sum = (f: keyof Omit<ModelUsage, 'model' | 'cost_usd'>) => models.reduce((n, u) => n + u[f], 0);
  return {
    model: models[0]!.model,
    input_tokens: sum('input_tokens'),
    output_tokens: sum('output_tokens'),
    cache_read_tokens: sum('cache_read_tokens'),
    cache_write_tokens: sum('cache_write_tokens'),
    cost_usd: unpriced.length > 0 ? null : roundUsd(models.reduce((n, u) => n + u.cost_usd!, 0)),
    models,
    unpriced,
  };
}
