import { Command } from 'commander';
import { loadContext, type Context } from '../context.js';
import { reconcile, type AgentView } from '../core/reconcile.js';
import { renderTable, statusCell, type Column } from '../ui/table.js';
import { tildify } from '../ui/output.js';
import { formatAge } from '../core/format.js';

export interface ListOptions {
  json?: boolean;
  all?: boolean;
  grouped?: boolean;
}

export function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description("show this repository's agents, reconciled with tmux and git")
    .option('--json', 'print an array of agent objects')
    .option('--all', 'agents of every repository')
    .option('-g, --grouped', 'group rows under their batch')
    .addHelpText('after', `
Statuses: running (output in the last idle_seconds), idle (alive, quiet: likely waiting for you),
exited (the agent ended; its screen is kept: fleet logs), missing (session gone: fleet prune),
setup-failed (set-up was interrupted: fleet prune).

Examples:
  fleet list
  fleet list --grouped
  fleet list --all --json | jq '.[] | select(.status == "idle") | .branch'`)
    .action(async (opts: ListOptions) => {
      const ctx = await loadContext({ needRepo: !opts.all, json: opts.json });
      await runList(ctx, opts);
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
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records of the repository (or all), reconciled with one tmux call. */
export async function gatherViews(ctx: Context, all: boolean): Promise<AgentView[]> {
  const [records, panes] = await Promise.all([ctx.state.read(), ctx.tmux.listPanes()]);
  const mine = all || !ctx.repo ? records : records.filter((r) => r.repo === ctx.repo!.root);
  return reconcile(mine, panes, { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive });
}

export function toListed(v: AgentView): ListedAgent {
  const r = v.record;
  return {
    repo: r.repo,
    branch: r.branch,
    batch_id: r.batch_id,
    agent: r.agent,
    status: v.status,
    session: r.session,
    worktree: r.worktree,
    cpu: null,
    memory: null,
    created_at: r.created_at,
    exit_code: v.exitCode,
  };
}

export async function runList(ctx: Context, opts: ListOptions): Promise<ListedAgent[]> {
  const views = await gatherViews(ctx, Boolean(opts.all));
  const rows = views.map(toListed);
  if (opts.json) {
    ctx.ui.out(JSON.stringify(rows, null, 2));
    return rows;
  }
  if (rows.length === 0) {
    ctx.ui.out(opts.all ? 'no agents' : 'no agents in this repository');
    ctx.ui.note('hint: fleet create <branch> --prompt "..." starts one');
    return rows;
  }
  const now = Date.now();
  const columns: Column<ListedAgent>[] = [
    ...(opts.all ? [{ head: 'repo', cell: (a: ListedAgent) => a.repo.split('/').pop() ?? a.repo }] : []),
    { head: 'branch', cell: (a) => a.branch },
    { head: 'batch', cell: (a) => a.batch_id ?? '-' },
    { head: 'agent', cell: (a) => a.agent },
    { head: 'status', cell: (a) => statusCell(a.status, a.exit_code, ctx.ui.color) },
    { head: 'age', cell: (a) => formatAge(now - Date.parse(a.created_at)) },
    { head: 'worktree', cell: (a) => tildify(a.worktree) },
  ];
  ctx.ui.out(await renderTable(columns, rows, { color: ctx.ui.color }));
  return rows;
}
