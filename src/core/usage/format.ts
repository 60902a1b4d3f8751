// How tokens and dollars read in tables: "950", "12.3k", "1.2M"; "$4.12", "?" for an unknown price.

const UNITS = [
  { at: 1e9, suffix: 'B' },
  { at: 1e6, suffix: 'M' },
  { at: 1e3, suffix: 'k' },
] as const;

/** 950 → "950", 12_345 → "12.3k", 123_456 → "123k", 1_234_567 → "1.2M". */
export function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const v = Math.max(0, Math.round(n));
  const i = UNITS.findIndex((u) => v >= u.at);
  if (i === -1) return String(v);
  const text = scaledText(v / UNITS[i]!.at);
  // 999_950 rounds to "1000k": that is "1.0M".
  if (Number(text) >= 1000 && i > 0) return scaledText(v / UNITS[i - 1]!.at) + UNITS[i - 1]!.suffix;
  return text + UNITS[i]!.suffix;
}

function scaledText(x: number): string {
  return x < 99.95 ? x.toFixed(1) : String(Math.round(x));
}

/** null → "?" (no price for the model: never shown as $0); 4.1234 → "$4.12"; 0.004 → "<$0.01". */
export function formatCost(usd: number | null): string {
  if (usd === null || !Number.isFinite(usd)) return '?';
  if (usd > 0 && usd < 0.005) return '<$0.01';
  const cents = Math.round((usd + 1e-9) * 100);
  const whole = Math.floor(cents / 100).toLocaleString('en-US');
  return `$${whole}.${String(cents % 100).padStart(2, '0')}`;
}

/** "$1.20"; "$4.12/$4.00" with a budget (the budget after the slash); "-" without usage. What list's COST column and the dashboard show. */
export function costWithBudget(usage: { cost_usd: number | null } | null, budget: number | null): string {
  const cost = usage ? formatCost(usage.cost_usd) : '-';
  return budget === null ? cost : `${cost}/${formatCost(budget)}`;
}

/** Every token the model processed for an agent: input, output, cache reads and writes (what TOKENS columns show). */
export function totalTokens(u: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }): number {
  return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens;
}

/** Cost "?" explained: which models have no price, and how to give them one. */
export function unpricedNote(models: readonly string[]): string {
  const list = models.map((m) => `"${m}"`).join(', ');
  const m = models[0]!;
  return `note: no price for ${models.length === 1 ? 'model' : 'models'} ${list}, so cost shows "?"\nhint: add its prices (USD per million tokens) to your config: [pricing."${m}"] input = 3.0 and output = 15.0 (fleet config edit)`;
}
