import { Command } from 'commander';
import { baseContext, loadContext, type Context } from '../context.js';
import { formatChanges } from '../core/changes.js';
import { formatAge, formatBytes, tildify } from '../core/format.js';
import type { PaneInfo } from '../core/parse.js';
import { collectRows, prefetchFacts, usageSampler, type ListFacts, type ListedAgent } from '../ops/list.js';
import { USAGE_HELP, type UsageSampler } from '../ops/metrics.js';
import { withInterrupts } from '../process/interrupts.js';
import { sleep } from '../process/sleep.js';
import { renderTable, statusCell, type Column } from '../ui/table.js';
import { formatCost, formatTokens, totalTokens } from '../core/usage/format.js';

export interface ListOptions {
  json?: boolean;
  all?: boolean;
  grouped?: boolean;
  watch?: boolean;
  changes?: boolean;
}

/** How often --watch redraws. */
export const WATCH_INTERVAL_MS = 2_000;

export function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description("show this repository's agents, reconciled with tmux and git")
    .option('--json', 'print an array of agent objects')
    .option('--all', 'agents of every repository')
    .option('-g, --grouped', 'group rows under their batch')
    .option('--changes', 'add what each agent changed since its base: files, +added/-removed lines (two git calls per agent, so only on request)')
    .option('-w, --watch', 'redraw every 2 s until Ctrl+C (with --json: one JSON array a line)')
    .addHelpText('after', `
Statuses: running (output in the last idle_seconds), idle (alive, quiet: likely waiting for you),
exited (the agent ended; its screen is kept: fleet logs), missing (session gone: fleet prune,
which keeps a worktree with unsaved work), worktree-missing (its worktree directory was deleted:
fleet prune), setup-failed (set-up was interrupted: fleet prune).

${USAGE_HELP}

Examples:
  fleet list
  fleet list --grouped
  fleet list --watch
  fleet list --changes
  fleet list --all --json | jq '.[] | select(.status == "idle") | .branch'`)
    .action(async (opts: ListOptions) => {
      const base = baseContext({ json: opts.json });
      const early = prefetchFacts(base);
      const ctx = await loadContext({ needRepo: !opts.all, json: opts.json }, base);
      await runList(ctx, opts, early);
    });
}

export async function runList(ctx: Context, opts: ListOptions, early: ListFacts = {}): Promise<ListedAgent[]> {
  const sampler = early.sampler ?? usageSampler(ctx);
  if (opts.watch) return watchList(ctx, opts, sampler, early.panes);
  const rows = await collectRows(ctx, opts, { sampler, panes: early.panes });
  if (opts.json) {
    ctx.ui.out(JSON.stringify(rows, null, 2));
    return rows;
  }
  if (rows.length === 0) {
    ctx.ui.out(opts.all ? 'no agents' : 'no agents in this repository');
    ctx.ui.note('hint: fleet create <branch> --prompt "..." starts one');
    return rows;
  }
  ctx.ui.out(await renderRows(ctx, opts, rows));
  return rows;
}

/** Redraw every WATCH_INTERVAL_MS until Ctrl+C or SIGTERM (which end it normally: exit 0). */
async function watchList(ctx: Context, opts: ListOptions, sampler: UsageSampler, firstPanes?: Promise<PaneInfo[]>): Promise<ListedAgent[]> {
  let rows: ListedAgent[] = [];
  // A second Ctrl+C is ignored quietly: the watch is already ending.
  await withInterrupts(async (signal) => {
    while (!signal.aborted) {
      const started = Date.now();
      try {
        rows = await collectRows(ctx, opts, { sampler, panes: firstPanes });
      } catch (e) {
        // A call cut short by the signal (sent to the whole process group) is the end of the watch, not an error.
        if (signal.aborted) break;
        throw e;
      }
      firstPanes = undefined;
      if (signal.aborted) break;
      if (opts.json) ctx.ui.out(JSON.stringify(rows));
      else {
        const body = rows.length > 0 ? await renderRows(ctx, opts, rows) : opts.all ? 'no agents' : 'no agents in this repository';
        const title = `fleet list, every ${WATCH_INTERVAL_MS / 1000} s (Ctrl+C stops)   ${new Date().toLocaleTimeString()}`;
        // On a terminal, draw over the previous frame; elsewhere, append frames.
        ctx.ui.out(ctx.ui.isTTY ? `\x1b[H\x1b[2J${title}\n\n${body}` : `${title}\n${body}\n`);
      }
      await sleep(Math.max(0, WATCH_INTERVAL_MS - (Date.now() - started)), signal);
    }
  }, { onSignal: () => undefined });
  return rows;
}

/** The table of rows (columns are one entry each, so more can be added). */
export async function renderRows(ctx: Context, opts: ListOptions, rows: ListedAgent[]): Promise<string> {
  const now = Date.now();
  const columns: Column<ListedAgent>[] = [
    ...(opts.all ? [{ head: 'repo', cell: (a: ListedAgent) => a.repo.split('/').pop() ?? a.repo }] : []),
    { head: 'branch', cell: (a) => a.branch },
    { head: 'batch', cell: (a) => a.batch_id ?? '-' },
    { head: 'agent', cell: (a) => a.agent },
    { head: 'status', cell: (a) => statusCell(a.status, a.exit_code, ctx.ui.color) },
    { head: 'cpu', cell: (a) => (a.cpu === null || !isLive(a) ? '-' : `${a.cpu.toFixed(1)}%`), align: 'right' },
    { head: 'memory', cell: (a) => (a.memory === null || !isLive(a) ? '-' : formatBytes(a.memory)), align: 'right' },
    ...(opts.changes ? [{ head: 'changes', cell: (a: ListedAgent) => formatChanges(a.changes), align: 'right' as const }] : []),
    ...(rows.some((a) => a.usage !== null) ? usageColumns : []),
    { head: 'age', cell: (a) => formatAge(now - Date.parse(a.created_at)) },
    { head: 'worktree', cell: (a) => tildify(a.worktree, ctx.env.HOME) },
  ];
  if (opts.grouped) {
    const { renderGrouped } = await import('../ui/grouped.js');
    return renderGrouped(columns.filter((c) => c.head !== 'batch'), rows, { color: ctx.ui.color, records: await ctx.state.read() });
  }
  return renderTable(columns, rows, { color: ctx.ui.color });
}

/** TOKENS and COST, shown when any agent has usage: "-" for one without, "?" for a model without a price. */
const usageColumns: Column<ListedAgent>[] = [
  { head: 'tokens', cell: (a) => (a.usage ? formatTokens(totalTokens(a.usage)) : '-'), align: 'right' },
  { head: 'cost', cell: (a) => costCell(a), align: 'right' },
];

/** "$1.20", "$4.12/$4.00" with a budget (the budget after the slash), "-" without usage. */
function costCell(a: ListedAgent): string {
  const cost = a.usage ? formatCost(a.usage.cost_usd) : '-';
  return a.budget_usd === null ? cost : `${cost}/${formatCost(a.budget_usd)}`;
}

/** Statuses whose agent process is running, so CPU and memory mean something. */
function isLive(a: ListedAgent): boolean {
  return a.status === 'running' || a.status === 'idle';
}
