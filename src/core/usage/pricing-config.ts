// Validation of the `[pricing."model-id"]` config table (USD per million tokens), the user's way to
// price a model the built-in table does not know or to correct a price:
//
//   [pricing."claude-sonnet-4-5"]
//   input = 3.0
//   output = 15.0
//   cache_read = 0.3
//   cache_write = 3.75        # Anthropic 5-minute writes; OpenAI's only write rate
//   cache_write_1h = 6.0
//   [pricing."claude-sonnet-4-5".long_context]
//   threshold = 200000        # prompt tokens; one of 100000, 128000, 200000, 272000
//   input = 6.0
//   output = 22.5
//
// Same conventions as src/config/validate.ts: a wrong type throws (naming key and expected type),
// an unknown key is a warning. The config schema wiring calls this for the `pricing` key.
import { FleetError } from '../../errors.js';
import type { LongContextRates, ModelPrice, PricingOverrides, Rates } from './prices.js';
import { BAND_EDGES, type BandEdge } from './types.js';

const RATE_KEYS = ['input', 'output', 'cache_read', 'cache_write', 'cache_write_1h'] as const;
const REQUIRED = ['input', 'output'] as const;
/** No published price is near this; a bigger number is almost surely per-token or per-thousand by mistake. */
const MAX_RATE = 10_000;

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (isTable(v)) return 'a table';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return String(v);
}

export function validatePricing(raw: unknown, file: string): { pricing: PricingOverrides; warnings: string[] } {
  const warnings: string[] = [];
  const pricing: PricingOverrides = {};
  const bad = (key: string, expected: string, got: unknown, hint?: string) =>
    new FleetError(`${key} in ${file} must be ${expected}, not ${describe(got)}`, {
      hint: hint ?? 'prices are USD per million tokens, e.g. input = 3.0; fix it with: fleet config edit',
    });
  if (!isTable(raw)) throw bad('pricing', 'a table of [pricing."model-id"] entries', raw);

  const rates = (where: string, t: Record<string, unknown>, allowed: readonly string[]): Rates => {
    const out: Partial<Record<(typeof RATE_KEYS)[number], number>> = {};
    for (const [k, v] of Object.entries(t)) {
      if (!allowed.includes(k)) {
        warnings.push(`unknown key "${where}.${k}" in ${file} (ignored)`);
        continue;
      }
      if (!(RATE_KEYS as readonly string[]).includes(k)) continue;
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_RATE) {
        throw bad(`${where}.${k}`, `a number of USD per million tokens from 0 to ${MAX_RATE}`, v);
      }
      out[k as (typeof RATE_KEYS)[number]] = n;
    }
    for (const k of REQUIRED) {
      if (out[k] === undefined) {
        throw new FleetError(`${where} in ${file} has no ${k} price`, { hint: `add ${k} = <USD per million tokens> under [${where}]` });
      }
    }
    return out as Rates;
  };

  for (const [model, entry] of Object.entries(raw)) {
    const where = `pricing.${JSON.stringify(model)}`;
    if (model.trim() === '') throw bad('pricing', 'keyed by model ids', '""', 'name the model as the agent reports it, e.g. [pricing."claude-sonnet-4-5"]');
    if (!isTable(entry)) throw bad(where, 'a table with input and output prices', entry);
    const { long_context: long, ...flat } = entry;
    const price: ModelPrice = rates(where, flat, RATE_KEYS);
    if (long !== undefined) {
      const lwhere = `${where}.long_context`;
      if (!isTable(long)) throw bad(lwhere, 'a table with threshold, input and output', long);
      const { threshold, ...lrates } = long;
      const t = typeof threshold === 'bigint' ? Number(threshold) : threshold;
      if (!(BAND_EDGES as readonly unknown[]).includes(t)) {
        throw bad(`${lwhere}.threshold`, `one of ${BAND_EDGES.join(', ')} (prompt tokens)`, threshold);
      }
      price.long_context = { threshold: t as BandEdge, ...rates(lwhere, lrates, RATE_KEYS) } satisfies LongContextRates;
    }
    pricing[model] = price;
  }
  return { pricing, warnings };
}
