// `fleet cost`: the usage of live agents (read from their transcripts now) and of ended ones
// (kept in the usage history when kill, prune or pick ended them), filtered and totalled.
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { globMatch, isGlob } from '../core/glob.js';
import { costReport, type CostAgent, type CostReport } from '../core/usage/report.js';
import type { UsageTotals } from '../core/usage/types.js';
import { gatherViews } from './list.js';
import { budgetOf, pricingOf, readUsageHistory, usageDetails } from './usage.js';

export interface CostQuery {
  /** Branch names and globs (none: every agent). */
  patterns: readonly string[];
  batch?: string;
  /** Every repository's agents, not only the current one's. */
  all: boolean;
  /** Only agents started at or after this time (epoch ms). */
  since: number | null;
}

export async function gatherCost(ctx: Context, q: CostQuery): Promise<CostReport> {
  const repo = q.all || !ctx.repo ? null : ctx.repo.root;
  const wanted = (a: { repo: string; branch: string; batch_id: string | null; created_at: string }) =>
    (repo === null || a.repo === repo) &&
    (q.patterns.length === 0 || q.patterns.some((p) => (isGlob(p) ? globMatch(p, a.branch) : p === a.branch))) &&
    (q.batch === undefined || a.batch_id === q.batch) &&
    (q.since === null || Date.parse(a.created_at) >= q.since);

  const views = (await gatherViews(ctx, q.all)).filter((v) => wanted(v.record));
  const details = await usageDetails(ctx, views.map((v) => v.record));
  const items: { agent: Omit<CostAgent, 'usage'>; totals: UsageTotals }[] = views.map((v) => ({
    agent: {
      repo: v.record.repo,
      branch: v.record.branch,
      batch_id: v.record.batch_id,
      agent: v.record.agent,
      status: v.status === 'exited' && v.exitCode !== null ? `exited (${v.exitCode})` : v.status,
      created_at: v.record.created_at,
      ended_at: null,
      budget_usd: budgetOf(v.record),
    },
    totals: details.get(v.record)?.totals ?? {},
  }));
  for (const e of readUsageHistory(ctx.configs.home)) {
    if (!wanted(e)) continue;
    items.push({
      agent: { repo: e.repo, branch: e.branch, batch_id: e.batch_id, agent: e.agent, status: 'ended', created_at: e.created_at, ended_at: e.ended_at, budget_usd: e.budget_usd },
      totals: e.totals,
    });
  }

  for (const p of q.patterns) {
    if (!items.some((i) => (isGlob(p) ? globMatch(p, i.agent.branch) : p === i.agent.branch))) {
      throw new FleetError(`no agent${q.batch !== undefined ? ` of batch "${q.batch}"` : ''} on branch "${p}"${repo ? ' in this repository' : ''}, live or ended${q.since !== null ? ' since then' : ''}`, {
        hint: repo ? 'fleet cost lists them all; --all adds other repositories' : 'fleet cost --all lists them all',
      });
    }
  }
  if (q.batch !== undefined && items.length === 0) {
    throw new FleetError(`no agents of batch "${q.batch}"${repo ? ' in this repository' : ''}, live or ended${q.since !== null ? ' since then' : ''}`, {
      hint: 'fleet cost lists every agent and its batch',
    });
  }
  items.sort((a, b) => Date.parse(a.agent.created_at) - Date.parse(b.agent.created_at) || a.agent.branch.localeCompare(b.agent.branch));
  return costReport(items, pricingOf(ctx));
}
