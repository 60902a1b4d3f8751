// Budgets: `budget_usd` in the config (every new agent) or `--budget USD` on create/fanout/multi
// (recorded per agent). An agent whose cost passes its budget gets a reason, once notified. Pure.
import { UsageError } from '../../errors.js';
import { formatCost } from './format.js';
import type { AgentUsage } from './types.js';

/** `--budget` as USD: "4", "4.50", "$4.50"; more than 0. */
export function parseBudget(raw: string, example: string): number {
  const s = raw.trim().replace(/^\$/, '');
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--budget must be an amount of USD above 0 (got "${raw}")`, `e.g. ${example} --budget 5 (or --budget 2.50)`);
  }
  return n;
}

/** The budget a new agent gets: --budget, else budget_usd from the config (0 or unset: none). */
export function budgetFor(flag: number | undefined, configured: number | undefined): number | null {
  if (flag !== undefined) return flag;
  return configured !== undefined && configured > 0 ? configured : null;
}

/** `over budget ($4.12 of $4.00)`, or null when within it, without a budget, or at an unknown cost. */
export function overBudgetReason(usage: Pick<AgentUsage, 'cost_usd'> | null, budget: number | null): string | null {
  if (budget === null || !usage || usage.cost_usd === null || usage.cost_usd <= budget) return null;
  return `over budget (${formatCost(usage.cost_usd)} of ${formatCost(budget)})`;
}
