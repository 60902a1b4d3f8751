import { Command } from 'commander';
import { baseContext, loadContext, type Context } from '../context.js';
import { StoppedError } from '../errors.js';
import { BUSY_CPU_PERCENT } from '../core/reconcile.js';
import { formatChanges } from '../core/changes.js';
import { formatAge, formatBytes, plural } from '../core/format.js';
import { shortIssueLabel } from '../core/issue.js';
import { repoLabels, worktreeLabel } from '../core/labels.js';
import type { PaneInfo } from '../core/parse.js';
import { collectRows, prefetchFacts, usageSampler, type ListFacts, type ListedAgent } from '../ops/list.js';
import { USAGE_HELP, type UsageSampler } from '../ops/metrics.js';
import { withInterrupts } from '../process/interrupts.js';
import { sleep } from '../process/sleep.js';
import { stdoutClosed } from '../ui/output.js';
import { cutTo, renderTable, statusCell, visibleWidth, type Column } from '../ui/table.js';
import { needsUser as needsUserNow } from '../core/agent-state.js';
import { costWithBudget, formatTokens, totalTokens } from '../core/usage/format.js';

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
Statuses of agents that report their own state (claude, codex, gemini,
opencode): starting (has not taken its first prompt; a dialog may be open),
working, waiting (a permission or question dialog: the reason is shown below the
table), done (turn finished, ready for the next prompt). Of others: running
(output in the last idle_seconds, or its processes use at least ${BUSY_CPU_PERCENT}% CPU),
idle (alive, quiet: likely waiting for you). Of all: exited (the agent ended;
its screen is kept: fleet logs), missing (session gone: fleet revive restarts
it on its conversation; fleet prune cleans up, keeping a worktree with unsaved
work), worktree-missing (its worktree directory was deleted: fleet prune),
setup-failed (set-up was interrupted: fleet prune), unreachable (on a host that
did not answer within 5 s; its record is kept, the host's message is in --json's
state_reason). Agents that need you come first, marked "!".

${USAGE_HELP}

WORKTREE is relative to worktree_root. On a terminal too narrow for the table,
columns are left out in this order until rows fit: WORKTREE, PROMPT, AGE,
TOKENS, BATCH, ISSUE, MEMORY, HOST, CPU, COST, AGENT, CHANGES. Piped output and
--json have them all. HOST shows when an agent runs on a host (create --host);
a host's WORKTREE is its path there.
Ctrl+C (or SIGTERM) ends --watch with exit status 130.

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
  if (opts.watch) {
    await watchList(ctx, opts, sampler, early.panes);
    return [];
  }
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
  ctx.ui.out(await renderList(ctx, opts, rows));
  return rows;
}

/** The table, then why the agents marked "!" need the user (both fitted to a terminal's width). */
async function renderList(ctx: Context, opts: ListOptions, rows: ListedAgent[]): Promise<string> {
  const table = await renderRows(ctx, opts, rows);
  const footer = await attentionLines(ctx, rows, terminalWidth(ctx));
  return footer.length > 0 ? `${table}\n\n${footer.join('\n')}` : table;
}

/** The terminal's width when output goes to one (undefined: piped, nothing is cut). */
function terminalWidth(ctx: Context): number | undefined {
  return ctx.ui.isTTY ? process.stdout.columns || undefined : undefined;
}

/**
 * Below the table: why each agent that needs the user does, and what to run for the missing
 * ones. Within `width`, a long reason is cut (…), never the branch or the command to run.
 */
async function attentionLines(ctx: Context, rows: readonly ListedAgent[], width?: number): Promise<string[]> {
  const lines = rows.filter(needsUser).map((a) => attentionLine(a, width));
  const missing = rows.filter((a) => a.status === 'missing');
  if (missing.length > 0) {
    const records = await ctx.state.read();
    const { revivePlan } = await import('../ops/revive.js');
    const revivable = missing.filter((a) => {
      const r = records.find((x) => x.session === a.session);
      return r !== undefined && revivePlan(ctx, r).ok;
    });
    if (revivable.length > 0) {
      const which = revivable.length === missing.length && missing.length > 1 ? '--all' : revivable.map((a) => a.branch).join(' ');
      lines.push(`${plural(revivable.length, 'missing agent')} can be revived on ${revivable.length === 1 ? 'its conversation' : 'their conversations'}: fleet revive ${which}`);
    }
  }
  return lines;
}

/** "! fix-auth waiting: permission: Bash(npm test) — fleet attach fix-auth", the reason cut (…) to fit `width`. */
export function attentionLine(a: Pick<ListedAgent, 'branch' | 'status' | 'state_reason'>, width?: number): string {
  const head = `! ${a.branch} ${a.status}: `;
  const tail = a.status === 'waiting' ? ` — fleet attach ${a.branch}` : '';
  const reason = a.state_reason ?? '';
  if (width === undefined) return head + reason + tail;
  return head + cutTo(reason, Math.max(10, width - visibleWidth(head) - visibleWidth(tail)), 'end') + tail;
}

/**
 * Redraw every WATCH_INTERVAL_MS until Ctrl+C or SIGTERM, which end it with exit status 130 (as
 * create and fanout), or until stdout's reader goes away (`| head`: exit 0).
 */
async function watchList(ctx: Context, opts: ListOptions, sampler: UsageSampler, firstPanes?: Promise<PaneInfo[]>): Promise<void> {
  const closed = stdoutClosed();
  let frames = 0;
  // A second Ctrl+C is ignored quietly: the watch is already ending.
  await withInterrupts(async (interrupted) => {
    const signal = AbortSignal.any([interrupted, closed.signal]);
    while (!signal.aborted) {
      const started = Date.now();
      let rows: ListedAgent[];
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
        const body = rows.length > 0 ? await renderList(ctx, opts, rows) : opts.all ? 'no agents' : 'no agents in this repository';
        const title = `fleet list, every ${WATCH_INTERVAL_MS / 1000} s (Ctrl+C stops)   ${new Date().toLocaleTimeString()}`;
        // On a terminal, draw over the previous frame (cleared once, then rewritten row by row: a
        // clear each time would push a copy of every frame into tmux's scrollback); elsewhere,
        // append frames.
        if (ctx.ui.isTTY) {
          const rows = `${title}\n\n${body}`.split('\n').map((l) => `${l}\x1b[K`);
          ctx.ui.out(`${frames === 0 ? '\x1b[2J' : ''}\x1b[H${rows.join('\n')}\x1b[J`);
        } else ctx.ui.out(`${title}\n${body}\n`);
        frames++;
      }
      await sleep(Math.max(0, WATCH_INTERVAL_MS - (Date.now() - started)), signal);
    }
  }, { onSignal: () => undefined }).finally(() => closed.dispose());
  if (!closed.signal.aborted) throw new StoppedError();
}

/**
 * The table of rows (columns are one entry each, so more can be added). On a terminal it is
 * fitted into the terminal's width: cells cut and columns left out in the order of their
 * `fit.drop` (see renderTable); piped, every column is whole.
 */
export async function renderRows(ctx: Context, opts: ListOptions, rows: ListedAgent[]): Promise<string> {
  const now = Date.now();
  const home = ctx.env.HOME;
  const repos = opts.all ? repoLabels(rows.map((a) => a.repo), home) : new Map<string, string>();
  const columns: Column<ListedAgent>[] = [
    ...(opts.all ? [{ head: 'repo', cell: (a: ListedAgent) => repos.get(a.repo) ?? a.repo, fit: { cut: 'start' as const, min: 8 } }] : []),
    { head: 'branch', cell: (a) => a.branch, fit: { cut: 'end', min: 12 } },
    // Only when some agent runs on a host ([hosts.NAME]): "-" for this machine's.
    ...(rows.some((a) => a.host) ? [{ head: 'host', cell: (a: ListedAgent) => a.host ?? '-', fit: { cut: 'end' as const, min: 6, drop: 5.5 } }] : []),
    // Only when some agent was started from an issue (--issue): #123, ENG-42.
    ...(rows.some((a) => a.issue) ? [{ head: 'issue', cell: (a: ListedAgent) => (a.issue ? shortIssueLabel(a.issue) : '-'), fit: { drop: 4.5 } }] : []),
    { head: 'batch', cell: (a) => a.batch_id ?? '-', fit: { cut: 'end', min: 8, drop: 4 } },
    { head: 'agent', cell: (a) => a.agent, fit: { drop: 7 } },
    { head: 'status', cell: (a) => (needsUser(a) ? '! ' : '') + statusCell(a.status, a.exit_code, ctx.ui.color) },
    { head: 'cpu', cell: (a) => (a.cpu === null || !isLive(a) ? '-' : `${a.cpu.toFixed(1)}%`), align: 'right', fit: { drop: 6 } },
    { head: 'memory', cell: (a) => (a.memory === null || !isLive(a) ? '-' : formatBytes(a.memory)), align: 'right', fit: { drop: 5 } },
    ...(opts.changes ? [{ head: 'changes', cell: (a: ListedAgent) => formatChanges(a.changes), align: 'right' as const, fit: { drop: 8 } }] : []),
    ...(rows.some((a) => a.usage !== null) ? usageColumns : []),
    { head: 'age', cell: (a) => formatAge(now - Date.parse(a.created_at)), fit: { drop: 3 } },
    { head: 'worktree', cell: (a) => (a.host ? a.worktree : worktreeLabel(a.worktree, ctx.config.worktree_root, home)), fit: { cut: 'start', min: 12, drop: 1 } },
  ];
  const width = terminalWidth(ctx);
  if (opts.grouped) {
    const { renderGrouped } = await import('../ui/grouped.js');
    return renderGrouped(columns.filter((c) => c.head !== 'batch'), rows, { color: ctx.ui.color, records: await ctx.state.read(), width });
  }
  return renderTable(columns, rows, { color: ctx.ui.color, width });
}

/** TOKENS and COST, shown when any agent has usage: "-" for one without, "?" for a model without a price. */
const usageColumns: Column<ListedAgent>[] = [
  { head: 'tokens', cell: (a) => (a.usage ? formatTokens(totalTokens(a.usage)) : '-'), align: 'right', fit: { drop: 3.5 } },
  { head: 'cost', cell: (a) => costCell(a), align: 'right', fit: { drop: 6.5 } },
];

function costCell(a: ListedAgent): string {
  return costWithBudget(a.usage, a.budget_usd);
}

/** Statuses whose agent process is running, so CPU and memory mean something. */
function isLive(a: ListedAgent): boolean {
  return ['running', 'idle', 'starting', 'working', 'waiting', 'done'].includes(a.status);
}

/** A row that needs the user now (core/agent-state's rule, on list's fields). */
function needsUser(a: ListedAgent): boolean {
  return needsUserNow({ status: a.status, reason: a.state_reason });
}
