import { Command } from 'commander';
import { loadContext, type Context } from '../context.js';
import { repoLabels } from '../core/labels.js';
import { formatCost, formatTokens, unpricedNote } from '../core/usage/format.js';
import { modelLabel, parseSince, type CostAgent, type CostModel, type CostReport } from '../core/usage/report.js';
import { PRICE_TABLE } from '../core/usage/prices.js';
import { paint } from '../ui/output.js';
import { renderTable, statusCell, type Column } from '../ui/table.js';

export interface CostOptions {
  batch?: string;
  all?: boolean;
  json?: boolean;
  since?: string;
}

export function costCommand(): Command {
  return new Command('cost')
    .description("what the agents cost: tokens and USD from each agent's own transcript, per agent and per model, ended agents included")
    .argument('[branches...]', "branch names or globs (quote globs: 'fix-*')")
    .option('--batch <id>', 'only the agents of this batch')
    .option('--all', 'agents of every repository')
    .option('--since <date>', 'only agents started since then: 2026-11-01, 2026-11-01T09:00, or 7d / 12h / 30m ago')
    .option('--json', 'print {agents, models, total}')
    .addHelpText('after', `
Usage is read from each agent's own transcript (claude, codex, gemini; each
message counted once); other agents have none ("-"). Agents that kill, prune or
pick ended keep their final usage. Prices are USD per million tokens from a
table dated ${PRICE_TABLE.date}; [pricing."model-id"] in your config overrides one.
A model without a price shows cost "?", never $0.

Examples:
  fleet cost
  fleet cost --batch auth-refactor
  fleet cost 'fix-*' --since 7d
  fleet cost --all --since 2026-11-01 --json | jq .total.cost_usd`)
    .action(async (branches: string[], opts: CostOptions) => {
      const ctx = await loadContext({ needRepo: !opts.all, json: opts.json });
      await runCost(ctx, branches, opts);
    });
}

export async function runCost(ctx: Context, patterns: string[], opts: CostOptions): Promise<CostReport> {
  const since = opts.since === undefined ? null : parseSince(opts.since);
  const { gatherCost } = await import('../ops/cost.js');
  const report = await gatherCost(ctx, { patterns, batch: opts.batch, all: Boolean(opts.all), since });
  if (opts.json) {
    ctx.ui.out(JSON.stringify(report, null, 2));
    return report;
  }
  if (report.agents.length === 0) {
    ctx.ui.out(opts.all ? 'no agents' : 'no agents in this repository');
    return report;
  }
  ctx.ui.out(await renderCost(report, { color: ctx.ui.color, all: Boolean(opts.all), home: ctx.env.HOME }));
  if (report.total.unpriced.length > 0) ctx.ui.note(unpricedNote(report.total.unpriced));
  return report;
}

const tokenColumns = <T extends { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number }>(get: (r: T) => T | null): Column<T>[] => [
  { head: 'input', cell: (r) => (get(r) ? formatTokens(get(r)!.input_tokens) : '-'), align: 'right' },
  { head: 'output', cell: (r) => (get(r) ? formatTokens(get(r)!.output_tokens) : '-'), align: 'right' },
  { head: 'cache read', cell: (r) => (get(r) ? formatTokens(get(r)!.cache_read_tokens) : '-'), align: 'right' },
  { head: 'cache write', cell: (r) => (get(r) ? formatTokens(get(r)!.cache_write_tokens) : '-'), align: 'right' },
];

/** The agents table, then per model, then the total. */
export async function renderCost(report: CostReport, opts: { color: boolean; all: boolean; home: string | undefined }): Promise<string> {
  const budgets = report.agents.some((a) => a.budget_usd !== null);
  type Row = CostAgent & { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number };
  const rows: Row[] = report.agents.map((a) => ({
    ...a,
    input_tokens: a.usage?.input_tokens ?? 0,
    output_tokens: a.usage?.output_tokens ?? 0,
    cache_read_tokens: a.usage?.cache_read_tokens ?? 0,
    cache_write_tokens: a.usage?.cache_write_tokens ?? 0,
  }));
  // Two clones with the same directory name are told apart, as in fleet list --all.
  const repos = repoLabels(report.agents.map((a) => a.repo), opts.home);
  const agentCols: Column<Row>[] = [
    ...(opts.all ? [{ head: 'repo', cell: (a: Row) => repos.get(a.repo) ?? a.repo }] : []),
    { head: 'branch', cell: (a) => a.branch },
    { head: 'batch', cell: (a) => a.batch_id ?? '-' },
    { head: 'agent', cell: (a) => a.agent },
    { head: 'status', cell: (a) => (a.status === 'ended' ? paint('ended', 'gray', opts.color) : statusCell(a.status, null, opts.color)) },
    { head: 'model', cell: (a) => modelLabel(a.usage) },
    ...tokenColumns<Row>((r) => (r.usage ? r : null)),
    { head: 'cost', cell: (a) => (a.usage ? formatCost(a.usage.cost_usd) : '-'), align: 'right' },
    ...(budgets ? [{ head: 'budget', cell: (a: Row) => (a.budget_usd === null ? '-' : formatCost(a.budget_usd)), align: 'right' as const }] : []),
  ];
  const parts = [await renderTable(agentCols, rows, { color: opts.color })];

  if (report.models.length > 0) {
    type ModelRow = CostModel & { label: string };
    const t = report.total;
    const modelRows: ModelRow[] = [
      ...report.models.map((m) => ({ ...m, label: m.model })),
      { ...t, model: '', label: paint('total', 'bold', opts.color), agents: t.agents },
    ];
    const modelCols: Column<ModelRow>[] = [
      { head: 'model', cell: (m) => m.label },
      { head: 'agents', cell: (m) => String(m.agents), align: 'right' },
      ...tokenColumns<ModelRow>((m) => m),
      { head: 'cost', cell: (m) => formatCost(m.cost_usd), align: 'right' },
    ];
    parts.push(await renderTable(modelCols, modelRows, { color: opts.color }));
  }
  return parts.join('\n\n');
}
