// `fleet cost`: agents (live and ended) with their usage, per-model totals and the grand total.
// Pure: the caller gathers the agents and their raw totals.
import { UsageError } from '../../errors.js';
import type { PricingOverrides } from './prices.js';
import { summarizeUsage } from './summary.js';
import { mergeTotals, type AgentSummary, type AgentUsage, type ModelUsage, type UsageTotals } from './types.js';

/** One agent of the report: a live one (its status) or an ended one (from the usage history). */
export interface CostAgent extends AgentSummary {
  ended_at: string | null;
  budget_usd: number | null;
  usage: AgentUsage | null;
}

export interface CostModel extends ModelUsage {
  /** How many of the listed agents used it. */
  agents: number;
}

export interface CostReport {
  agents: CostAgent[];
  models: CostModel[];
  total: Omit<AgentUsage, 'model' | 'models'> & { agents: number };
}

/** Build the report from agents and their raw totals (priced here, so overrides apply to ended agents too). */
export function costReport(items: readonly { agent: Omit<CostAgent, 'usage'>; totals: UsageTotals }[], pricing: PricingOverrides = {}): CostReport {
  const all: UsageTotals = {};
  const users = new Map<string, number>();
  const agents = items.map(({ agent, totals }) => {
    mergeTotals(all, totals);
    const usage = summarizeUsage(totals, pricing);
    for (const m of usage?.models ?? []) users.set(m.model, (users.get(m.model) ?? 0) + 1);
    return { ...agent, usage };
  });
  const sum = summarizeUsage(all, pricing);
  return {
    agents,
    models: (sum?.models ?? []).map((m) => ({ ...m, agents: users.get(m.model) ?? 0 })),
    total: {
      agents: agents.filter((a) => a.usage !== null).length,
      input_tokens: sum?.input_tokens ?? 0,
      output_tokens: sum?.output_tokens ?? 0,
      cache_read_tokens: sum?.cache_read_tokens ?? 0,
      cache_write_tokens: sum?.cache_write_tokens ?? 0,
      cost_usd: sum ? sum.cost_usd : 0,
      unpriced: sum?.unpriced ?? [],
    },
  };
}

/**
 * `--since`: a date (`2026-11-01`, local midnight), a date and time (ISO 8601), or a span back
 * from now (`7d`, `12h`, `30m`). Returns epoch ms.
 */
export function parseSince(raw: string, now = Date.now()): number {
  const s = raw.trim();
  const span = /^(\d+)\s*([dhm])$/i.exec(s);
  if (span) return now - Number(span[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2]!.toLowerCase() as 'd' | 'h' | 'm'];
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (day) {
    const d = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    // new Date() rolls 2026-02-30 over into March: only a day that exists reads back the same.
    if (d.getMonth() === Number(day[2]) - 1 && d.getDate() === Number(day[3])) return d.getTime();
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw new UsageError(`--since "${raw}" is not a date`, 'e.g. --since 2026-11-01, --since 2026-11-01T09:00, or --since 7d (also 12h, 30m)');
}

/** "claude-sonnet-4-5", or "claude-sonnet-4-5 +1" when the agent used more than one model. */
export function modelLabel(u: AgentUsage | null): string {
  if (!u) return '-';
  return u.models.length > 1 ? `${u.model} +${u.models.length - 1}` : u.model;
}
