// The usage model shared by the transcript parsers, the price table and the cache.
//
// Token counts are kept apart by what they cost: fresh input, output (reasoning/thinking included,
// as every provider bills it), cache reads, and cache writes (Anthropic bills 5-minute and 1-hour
// writes at different rates, so they are two counts). Counts are also kept apart by how large the
// request's prompt was ("bands"), because long-context prices apply to a whole request once its
// prompt passes a threshold (Claude Sonnet 4/4.5 > 200K, Gemini 2.5 Pro > 200K, GPT-6 > 272K,
// Claude Haiku 5.5 > 100K). Pricing therefore stays exact after aggregation, and a price change or a
// config override re-prices old usage without re-reading any transcript.

/** Prompt sizes (tokens) where some model's price changes. A long-context threshold must be one of these. */
export const BAND_EDGES = [100_000, 128_000, 200_000, 272_000] as const;
export type BandEdge = (typeof BAND_EDGES)[number];

/** Which band a request with `promptTokens` of prompt falls in: 0 (≤ 100K) … 4 (> 272K). */
export function bandOf(promptTokens: number): number {
  let b = 0;
  while (b < BAND_EDGES.length && promptTokens > BAND_EDGES[b]!) b++;
  return b;
}

export interface TokenCounts {
  /** Input billed at the full input rate (cache reads and writes excluded). */
  input: number;
  /** Output, including reasoning/thinking tokens. */
  output: number;
  cache_read: number;
  /** Cache writes at the default (Anthropic: 5-minute) rate; OpenAI's cache writes land here too. */
  cache_write: number;
  /** Anthropic 1-hour cache writes (priced at 2x input instead of 1.25x). */
  cache_write_1h: number;
}

export const TOKEN_FIELDS = ['input', 'output', 'cache_read', 'cache_write', 'cache_write_1h'] as const;

export function zeroCounts(): TokenCounts {
  return { input: 0, output: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0 };
}

export function addCounts(into: TokenCounts, c: TokenCounts, sign: 1 | -1 = 1): TokenCounts {
  for (const f of TOKEN_FIELDS) into[f] += sign * c[f];
  return into;
}

export function isZero(c: TokenCounts): boolean {
  return TOKEN_FIELDS.every((f) => c[f] === 0);
}

/** One model's usage, split by prompt-size band (index = bandOf(prompt)); missing bands are empty. */
export interface ModelTotals {
  bands: Partial<Record<number, TokenCounts>>;
  /** API requests counted (one per deduplicated message / token event). */
  requests: number;
}

/** Usage of one transcript, or of one agent (all its transcripts), per model id as the agent reported it. */
export type UsageTotals = Record<string, ModelTotals>;

export function addUsage(totals: UsageTotals, model: string, band: number, c: TokenCounts, sign: 1 | -1 = 1, requests = 1): void {
  const m = (totals[model] ??= { bands: {}, requests: 0 });
  const into = (m.bands[band] ??= zeroCounts());
  addCounts(into, c, sign);
  m.requests += sign * requests;
  if (isZero(into)) delete m.bands[band];
  if (m.requests === 0 && Object.keys(m.bands).length === 0) delete totals[model];
}

export function mergeTotals(into: UsageTotals, from: UsageTotals): UsageTotals {
  for (const [model, m] of Object.entries(from)) {
    for (const [band, c] of Object.entries(m.bands)) if (c) addUsage(into, model, Number(band), c, 1, 0);
    const t = (into[model] ??= { bands: {}, requests: 0 });
    t.requests += m.requests;
  }
  return into;
}

/** All bands of one model added up. */
export function sumBands(m: ModelTotals): TokenCounts {
  const sum = zeroCounts();
  for (const c of Object.values(m.bands)) if (c) addCounts(sum, c);
  return sum;
}

/** Who an agent is, as the rows of `compare --json` and `cost --json` name it. */
export interface AgentSummary {
  repo: string;
  branch: string;
  batch_id: string | null;
  agent: string;
  /** Its status as `list` shows it (or "ended" for an agent kill, prune or pick ended). */
  status: string;
  created_at: string;
}

/** The per-model row of `usage` in JSON output. */
export interface ModelUsage {
  model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** USD; null when the model (or one of its token kinds) has no price: shown as "?", never 0. */
  cost_usd: number | null;
}

/**
 * An agent's usage as `list --json` / `cost --json` print it. `model` is the model that used the
 * most tokens; the counts are the sums over all models; `cost_usd` is null as soon as any model with
 * tokens has no price (`unpriced` names them), so a total is never quietly understated.
 */
export interface AgentUsage extends ModelUsage {
  models: ModelUsage[];
  unpriced: string[];
}
