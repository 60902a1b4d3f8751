// The price table: providers' published list prices, USD per million tokens, standard tier (no
// batch/flex/priority discounts or surcharges). Read on PRICE_TABLE.date from the pages in SOURCES
// (stored copies reached through the project's search tool); where a figure is derived from a
// published rule rather than printed on a page, the entry says so. Update the date when you change
// anything, and prefer a config override (`[pricing."model-id"]`) for a price that is not here yet.
import { BAND_EDGES, type BandEdge, type ModelTotals, type TokenCounts, TOKEN_FIELDS } from './types.js';

export interface Rates {
  input: number;
  output: number;
  cache_read?: number;
  /** Cache writes at the default rate (Anthropic: 5-minute TTL; OpenAI: its only write rate). */
  cache_write?: number;
  /** Anthropic 1-hour cache writes. */
  cache_write_1h?: number;
}

/** Rates for a whole request whose prompt (input incl. cache reads and writes) exceeds `threshold`. */
export interface LongContextRates extends Rates {
  threshold: BandEdge;
}

export interface ModelPrice extends Rates {
  long_context?: LongContextRates;
}

interface TableEntry extends ModelPrice {
  /** Key into SOURCES. */
  source: keyof typeof SOURCES;
  /** Other exact ids the provider uses for the same model. */
  aliases?: string[];
  note?: string;
}

export const SOURCES = {
  anthropic: 'https://platform.claude.com/docs/en/about-claude/pricing (model pricing table; Sonnet and Haiku rows also from https://platform.claude.com/docs/zh-CN/about-claude/pricing)',
  anthropicLong: 'https://docs.anthropic.com/en/docs/about-claude/pricing (long context pricing: Sonnet 4/4.5 prompts > 200K at $6 / $22.50; cache rates are the standard multipliers 1.25x / 2x / 0.1x of that input rate)',
  anthropicFast: 'https://platform.claude.com/docs/en/build-with-claude/fast-mode (Opus 4.6 fast: $30 / $150, https://openrouter.ai/anthropic/claude-opus-4.6-fast); the same figures and Opus 4.8 fast ($10 / $50) are in the cost table of @anthropic-ai/claude-code 2.1.197',
  opus55: 'https://platform.claude.com/docs/zh-CN/models/opus-5-5/overview (Pricing block)',
  sonnet5: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview (Pricing block)',
  sonnet55: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5-5/overview (Pricing block); cache reads cut from $0.20 to $0.10 on 2026-10-07 per the pricing page as quoted by https://github.com/kurofune/claudit/releases/tag/v1.9.2 and https://github.com/TheKrush/PromptFuel/releases/tag/v1.0.23',
  haiku55: 'https://platform.claude.com/docs/zh-CN/models/haiku-5-5/overview (two bands at 100,000 prompt tokens; cache reads $0.01 / $0.05 as quoted from the pricing page by https://github.com/kurofune/claudit/releases/tag/v1.9.2)',
  openai: 'https://developers.openai.com/api/docs/pricing and the model pages https://developers.openai.com/api/docs/models/<id>, as quoted by https://github.com/BerriAI/litellm/discussions/39633 (GPT-6 Astra, incl. > 272K: 2x input and cache, 1.5x output), https://github.com/merefield/codexometer/releases/tag/v0.18.4 (GPT-6 Sol, Luna), https://github.com/amine123max/Codex-Manager/releases/tag/0.4.7 (GPT-6.1 Sol incl. > 272K), https://github.com/TheKrush/PromptFuel/releases (GPT-6.1 Terra), https://github.com/BerriAI/litellm/discussions/52347 (GPT-6.2)',
  google: 'https://ai.google.dev/gemini-api/docs/pricing, as quoted by https://deploybase.ai/articles/gemini-api-pricing-2026 (2.5 Pro both tiers) and https://www.morphllm.com/gemini-api-pricing (2.5 Flash, Flash-Lite, 3 Pro, 3 Flash); context-cache reads at the page\'s 10% of input',
} as const;

// Anthropic's cache prices are fixed multiples of the input price: 5-minute write 1.25x, 1-hour
// write 2x, read 0.1x (pricing page, "prompt caching multipliers"); models that deviate say so.
function anthropic(input: number, output: number, source: TableEntry['source'], extra: Partial<TableEntry> = {}): TableEntry {
  return { input, output, cache_write: input * 1.25, cache_write_1h: input * 2, cache_read: input * 0.1, source, ...extra };
}

export const PRICE_TABLE: { date: string; models: Record<string, TableEntry> } = {
  date: '2026-11-27',
  models: {
    // Anthropic — model ids as the API returns them in message.model (dated ids resolve by dropping the date).
    'claude-fable-5-1': anthropic(10, 50, 'anthropic', { cache_read: 0.25 }),
    'claude-mythos-5-1': anthropic(10, 50, 'anthropic', { cache_read: 0.25 }),
    'claude-fable-5': anthropic(10, 50, 'anthropic'),
    'claude-mythos-5': anthropic(10, 50, 'anthropic'),
    'claude-opus-5-5': anthropic(4, 20, 'opus55', { cache_read: 0.2 }),
    'claude-opus-5': anthropic(5, 25, 'anthropic'),
    'claude-opus-4-8': anthropic(5, 25, 'anthropic'),
    'claude-opus-4-7': anthropic(5, 25, 'anthropic'),
    'claude-opus-4-6': anthropic(5, 25, 'anthropic'),
    'claude-opus-4-5': anthropic(5, 25, 'anthropic'),
    'claude-opus-4-1': anthropic(15, 75, 'anthropic'),
    'claude-opus-4-0': anthropic(15, 75, 'anthropic', { aliases: ['claude-opus-4'] }),
    'claude-sonnet-5-5': anthropic(2, 10, 'sonnet55', { cache_read: 0.1 }),
    'claude-sonnet-5': anthropic(2, 10, 'sonnet5'),
    'claude-sonnet-4-6': anthropic(3, 15, 'anthropic'),
    'claude-sonnet-4-5': anthropic(3, 15, 'anthropicLong', {
      long_context: { threshold: 200_000, input: 6, output: 22.5, cache_write: 7.5, cache_write_1h: 12, cache_read: 0.6 },
    }),
    'claude-sonnet-4-0': anthropic(3, 15, 'anthropicLong', {
      aliases: ['claude-sonnet-4'],
      long_context: { threshold: 200_000, input: 6, output: 22.5, cache_write: 7.5, cache_write_1h: 12, cache_read: 0.6 },
    }),
    'claude-3-7-sonnet': anthropic(3, 15, 'anthropic'),
    'claude-haiku-5-5': {
      input: 0.1, output: 0.5, cache_write: 0.125, cache_write_1h: 0.2, cache_read: 0.01, source: 'haiku55',
      long_context: { threshold: 100_000, input: 0.5, output: 2.5, cache_write: 0.625, cache_write_1h: 1, cache_read: 0.05 },
    },
    'claude-haiku-4-5': anthropic(1, 5, 'anthropic'),
    'claude-3-5-haiku': anthropic(0.8, 4, 'anthropic'),
    'claude-3-haiku': { input: 0.25, output: 1.25, cache_write: 0.3, cache_write_1h: 0.5, cache_read: 0.03, source: 'anthropic' },
    // Fast mode: Claude Code marks such requests with usage.speed = "fast"; the parser files them under "<model>:fast".
    'claude-opus-4-8:fast': anthropic(10, 50, 'anthropicFast'),
    'claude-opus-4-7:fast': anthropic(30, 150, 'anthropicFast'),
    'claude-opus-4-6:fast': anthropic(30, 150, 'anthropicFast'),

    // OpenAI (codex). input_tokens in codex's totals include cached and cache-write tokens; the parser splits them.
    // Cache writes are 1.25x input across the GPT-6 family; for GPT-6.2, whose write price was not quoted, that rule is applied.
    'gpt-6-astra': {
      input: 10, output: 50, cache_read: 1, cache_write: 12.5, source: 'openai',
      long_context: { threshold: 272_000, input: 20, output: 75, cache_read: 2, cache_write: 25 },
    },
    'gpt-6-sol': { input: 2, output: 10, cache_read: 0.2, cache_write: 2.5, source: 'openai' },
    'gpt-6-luna': { input: 0.1, output: 0.5, cache_read: 0.01, cache_write: 0.125, source: 'openai' },
    'gpt-6.1-sol': {
      input: 2, output: 10, cache_read: 0.1, cache_write: 2.5, source: 'openai',
      long_context: { threshold: 272_000, input: 4, output: 15, cache_read: 0.2 },
    },
    'gpt-6.1-terra': { input: 1, output: 5, cache_read: 0.05, cache_write: 1.25, source: 'openai' },
    'gpt-6.2-astra': { input: 8, output: 40, cache_read: 0.4, cache_write: 10, source: 'openai' },
    'gpt-6.2-sol': { input: 2, output: 10, cache_read: 0.1, cache_write: 2.5, source: 'openai' },

    // Google (gemini-cli). promptTokenCount includes cached tokens; thinking is billed as output.
    'gemini-2.5-pro': {
      input: 1.25, output: 10, cache_read: 0.125, source: 'google',
      long_context: { threshold: 200_000, input: 2.5, output: 15, cache_read: 0.25 },
    },
    'gemini-2.5-flash': { input: 0.3, output: 2.5, cache_read: 0.03, source: 'google' },
    'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cache_read: 0.01, source: 'google' },
    'gemini-3-pro-preview': {
      input: 2, output: 12, cache_read: 0.2, source: 'google',
      long_context: { threshold: 200_000, input: 4, output: 18, cache_read: 0.4 },
    },
    'gemini-3-flash-preview': { input: 0.5, output: 3, cache_read: 0.05, source: 'google' },
  },
};

export type PricingOverrides = Record<string, ModelPrice>;

export interface ResolvedPrice {
  /** The table or config key that matched. */
  id: string;
  price: ModelPrice;
  from: 'config' | 'table';
}

/**
 * Candidate ids for a reported model, most specific first: the id itself, then the id without a
 * trailing date stamp (`-20250929`, `@20250929`, `-2025-09-29`). Nothing else is stripped: an id
 * that merely starts like a known one ("claude-sonnet-4-5-experimental") stays unknown.
 */
export function modelCandidates(model: string): string[] {
  const m = model.trim().toLowerCase();
  const fast = m.endsWith(':fast') ? ':fast' : '';
  const base = fast ? m.slice(0, -fast.length) : m;
  const undated = base.replace(/(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2})$/, '');
  return undated === base ? [m] : [m, undated + fast];
}

let aliasIndex: Map<string, string> | undefined;
function tableKey(id: string): string | undefined {
  if (Object.hasOwn(PRICE_TABLE.models, id)) return id;
  if (!aliasIndex) {
    aliasIndex = new Map();
    for (const [key, e] of Object.entries(PRICE_TABLE.models)) for (const a of e.aliases ?? []) aliasIndex.set(a, key);
  }
  return aliasIndex.get(id);
}

/** The price for a reported model id: a config override first, then the table; null when unknown. */
export function resolvePrice(model: string, overrides: PricingOverrides = {}): ResolvedPrice | null {
  const lowered: PricingOverrides = {};
  for (const [k, v] of Object.entries(overrides)) lowered[k.trim().toLowerCase()] = v;
  for (const c of modelCandidates(model)) {
    if (Object.hasOwn(lowered, c)) return { id: c, price: lowered[c]!, from: 'config' };
    const key = tableKey(c);
    if (key) return { id: key, price: PRICE_TABLE.models[key]!, from: 'table' };
  }
  return null;
}

/** USD for `c` tokens at `r`; null when tokens of some kind have no rate. */
function costAt(c: TokenCounts, r: Rates): number | null {
  let usd = 0;
  for (const f of TOKEN_FIELDS) {
    if (c[f] === 0) continue;
    const rate = r[f];
    if (rate === undefined) return null;
    usd += (c[f] * rate) / 1e6;
  }
  return usd;
}

/** USD for one model's usage, each band at the rates that apply to it; null when anything is unpriced. */
export function costOf(m: ModelTotals, price: ModelPrice): number | null {
  const longFrom = price.long_context ? BAND_EDGES.indexOf(price.long_context.threshold) + 1 : Infinity;
  let usd = 0;
  for (const [band, c] of Object.entries(m.bands)) {
    if (!c) continue;
    const part = costAt(c, Number(band) >= longFrom ? price.long_context! : price);
    if (part === null) return null;
    usd += part;
  }
  return usd;
}
