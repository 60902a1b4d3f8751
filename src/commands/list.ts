import path from 'node:path';
import { Command } from 'commander';
import { FleetError } from '../errors.js';
import { baseContext, loadContext, type BaseContext, type Context } from '../context.js';
import { reconcile, type AgentView } from '../core/reconcile.js';
import { renderTable, statusCell, type Column } from '../ui/table.js';
import { tildify } from '../ui/output.js';
import { formatAge, formatBytes } from '../core/format.js';
import { formatChanges, type ChangeStats } from '../core/changes.js';
import { UsageSampler, USAGE_HELP, type TreeUsage } from '../ops/metrics.js';
import type { PaneInfo } from '../core/parse.js';
import { listPanes } from '../tmux/sessions.js';
import { pidAlive } from '../process/pids.js';

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
exited (the agent ended; its screen is kept: fleet logs), missing (session gone: fleet prune),
setup-failed (set-up was interrupted: fleet prune).

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

export interface ListedAgent {
  repo: string;
  branch: string;
  batch_id: string | null;
  agent: string;
  status: string;
  session: string;
  worktree: string;
  cpu: number | null;
  memory: number | null;
  created_at: string;
  exit_code: number | null;
  /** Files and lines changed since the base (commits, uncommitted edits, untracked files); null without --changes. */
  changes: ChangeStats | null;
}

/** The facts list needs that do not depend on the repository or the config. */
export interface ListFacts {
  /** tmux list-panes, already asked. */
  panes?: Promise<PaneInfo[]>;
  /** Its process-table read already started. */
  sampler?: UsageSampler;
}

/**
 * Ask tmux for its panes and ps for the process table at once, while git works out which
 * repository this is: three calls side by side instead of one after another.
 */
export function prefetchFacts(base: BaseContext): Required<ListFacts> {
  const panes = listPanes(base.run);
  panes.catch(() => undefined); // awaited later; a failure surfaces there, not as an unhandled rejection
  const sampler = new UsageSampler(base.run, samplesFile(base.configs.home));
  sampler.prepare();
  return { panes, sampler };
}

/**
 * Records of the repository (or all), reconciled with one tmux call (or the one already
 * asked). With a sampler, the one process-table read it needs starts alongside that call.
 */
export async function gatherViews(ctx: Context, all: boolean, facts: ListFacts = {}): Promise<AgentView[]> {
  const { panes: early, sampler } = facts;
  const records = await ctx.state.read();
  const mine = all || !ctx.repo ? records : records.filter((r) => r.repo === ctx.repo!.root);
  if (sampler && mine.length > 0) sampler.prepare();
  const panes = await (early ?? listPanes(ctx.run));
  return reconcile(mine, panes, { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive });
}

/** The pane pid of an agent whose process is alive (its process tree is what it costs). */
function livePid(v: AgentView): number | null {
  return v.pane && !v.pane.dead && v.pane.pid !== null ? v.pane.pid : null;
}

/**
 * CPU and memory of every live agent's process tree: one ps read and one pidusage call for
 * all of them. When they cannot be measured (no ps), a warning and no figures.
 */
export async function measureViews(ctx: Context, views: readonly AgentView[], sampler: UsageSampler): Promise<Map<number, TreeUsage> | null> {
  const roots = views.map(livePid).filter((p): p is number => p !== null);
  if (roots.length === 0) return new Map();
  try {
    return await sampler.measure(roots);
  } catch (e) {
    const hint = e instanceof FleetError && e.hint ? ` (${e.hint})` : '';
    ctx.ui.warn(`cpu and memory not measured: ${(e as Error).message}${hint}`);
    return null;
  }
}

/**
 * One list row. cpu/memory: the live agent's tree (null when it could not be measured), 0
 * when no agent process is running (exited, missing).
 */
export function toListed(v: AgentView, usage?: Map<number, TreeUsage> | null): ListedAgent {
  const r = v.record;
  const pid = livePid(v);
  const u = pid !== null ? usage?.get(pid) : undefined;
  return {
    repo: r.repo,
    branch: r.branch,
    batch_id: r.batch_id,
    agent: r.agent,
    status: v.status,
    session: r.session,
    worktree: r.worktree,
    cpu: pid === null ? 0 : (u?.cpu ?? null),
    memory: pid === null ? 0 : (u?.memory ?? null),
    created_at: r.created_at,
    exit_code: v.exitCode,
    changes: null,
  };
}

/** The rows, reconciled and measured: a constant number of tmux/git/ps calls for any number of agents. */
export async function collectRows(ctx: Context, opts: ListOptions, sampler: UsageSampler, panes?: Promise<PaneInfo[]>): Promise<ListedAgent[]> {
  const views = await gatherViews(ctx, Boolean(opts.all), { sampler, panes });
  const usage = await measureViews(ctx, views, sampler);
  const rows = views.map((v) => toListed(v, usage));
  if (opts.changes) {
    // Git calls per agent (a temporary index each, so worktrees are not touched): only on request.
    const { changeStatsAll } = await import('../ops/changes.js');
    const stats = await changeStatsAll(ctx, views.map((v) => v.record));
    rows.forEach((row, i) => (row.changes = stats.get(views[i]!.record) ?? null));
  }
  return rows;
}

/** Where CPU samples are kept between lists (a cache: losing it costs one lifetime average). */
function samplesFile(home: string): string {
  return path.join(home, 'run', 'cpu-samples.json');
}

export async function runList(ctx: Context, opts: ListOptions, early: ListFacts = {}): Promise<ListedAgent[]> {
  const sampler = early.sampler ?? new UsageSampler(ctx.run, samplesFile(ctx.configs.home));
  if (opts.watch) return watchList(ctx, opts, sampler, early.panes);
  const rows = await collectRows(ctx, opts, sampler, early.panes);
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

/** Redraw every WATCH_INTERVAL_MS until Ctrl+C (which ends it normally: exit 0). */
async function watchList(ctx: Context, opts: ListOptions, sampler: UsageSampler, firstPanes?: Promise<PaneInfo[]>): Promise<ListedAgent[]> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let rows: ListedAgent[] = [];
  try {
    while (!stop.signal.aborted) {
      const started = Date.now();
      try {
        rows = await collectRows(ctx, opts, sampler, firstPanes);
        firstPanes = undefined;
        if (opts.json) ctx.ui.out(JSON.stringify(rows));
        else {
          const body = rows.length > 0 ? await renderRows(ctx, opts, rows) : opts.all ? 'no agents' : 'no agents in this repository';
          const title = `fleet list, every ${WATCH_INTERVAL_MS / 1000} s (Ctrl+C stops)   ${new Date().toLocaleTimeString()}`;
          // On a terminal, draw over the previous frame; elsewhere, append frames.
          ctx.ui.out(ctx.ui.isTTY ? `\x1b[H\x1b[2J${title}\n\n${body}` : `${title}\n${body}\n`);
        }
        await sleep(Math.max(0, WATCH_INTERVAL_MS - (Date.now() - started)), undefined, { signal: stop.signal });
      } catch (e) {
        // Ctrl+C reaches tmux and ps too: a call cut short by it is the end of the watch, not an error.
        if (stop.signal.aborted) break;
        throw e;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
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
    { head: 'age', cell: (a) => formatAge(now - Date.parse(a.created_at)) },
    { head: 'worktree', cell: (a) => tildify(a.worktree, ctx.env.HOME) },
  ];
  if (opts.grouped) {
    const { renderGrouped } = await import('../ui/grouped.js');
    return renderGrouped(columns.filter((c) => c.head !== 'batch'), rows, { color: ctx.ui.color, records: await ctx.state.read() });
  }
  return renderTable(columns, rows, { color: ctx.ui.color });
}

/** Statuses whose agent process is running, so CPU and memory mean something. */
function isLive(a: ListedAgent): boolean {
  return a.status === 'running' || a.status === 'idle';
}
