import { Command } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { bestReason, formatCheck, formatCompareChanges, type CompareRow } from '../core/compare.js';
import { formatAge, tildify } from '../core/format.js';
import { formatCost, formatTokens, totalTokens, unpricedNote } from '../core/usage/format.js';
import type { CompareResult } from '../ops/compare.js';
import { paint } from '../ui/output.js';
import { renderTable, statusCell, type Column } from '../ui/table.js';

export interface CompareOptions {
  run?: string;
  timeout?: string;
  json?: boolean;
}

export function compareCommand(): Command {
  return new Command('compare')
    .description('run a check (e.g. the tests) in every worktree of a batch and rank the agents side by side')
    .argument('<batch...>', 'a batch id, or branch names and globs')
    .option('--run <cmd>', 'the check to run in each worktree, with bash (default: compare_command from the config)')
    .option('--timeout <seconds>', 'stop a check that runs longer, with everything it started (default 1800; 0: no limit)')
    .option('--json', 'print an array of rows: branch, status, check, changes, usage, best')
    .addHelpText('after', `
The check runs in each agent's worktree as it is, at most max_parallel at
once, with the agent's FLEET_* variables; its output goes to
~/.ai_fleet/logs/compare/<session>.log. What is compared is the worktree before
the check; a check that creates or edits files git sees is named in its row.

The best candidate (marked *): its check passed and it has changes to land;
then a worktree the check left alone; then the fewest changed lines (added +
removed); then the lowest cost; then the agent started first. fleet pick --best
<batch> lands it, unless the batch changed since. Exit status 1 when no agent
qualifies, 130 on Ctrl+C.

Examples:
  fleet compare auth-refactor --run "npm test"
  fleet compare auth-refactor                      # runs compare_command
  fleet compare 'auth-refactor-*' --run "make check" --timeout 600
  fleet compare auth-refactor --json | jq '.[] | select(.best) | .branch'`)
    .action(async (targets: string[], opts: CompareOptions) => {
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runCompare(ctx, targets, opts);
    });
}

/** The check to run: --run, else compare_command; an empty one is a usage error. */
export function checkCommand(ctx: RepoContext, opts: CompareOptions, example: string): string {
  if (opts.run !== undefined) {
    if (opts.run.trim() === '') throw new UsageError('--run is empty', `name the check, e.g. fleet compare ${example} --run "npm test"`);
    return opts.run;
  }
  const configured = ctx.config.compare_command;
  if (configured.trim() !== '') return configured;
  throw new UsageError('no check to run: give --run CMD, or set compare_command', `fleet compare ${example} --run "npm test", or once for all: fleet config set compare_command "npm test"`);
}

export async function runCompare(ctx: RepoContext, targets: string[], opts: CompareOptions): Promise<CompareResult> {
  const { compareAgents, parseTimeout, resolveTargets } = await import('../ops/compare.js');
  const timeoutMs = parseTimeout(opts.timeout);
  const command = checkCommand(ctx, opts, targets.join(' '));
  const target = await resolveTargets(ctx, targets);
  const n = target.records.length;
  const home = ctx.env.HOME;
  const at = Math.min(ctx.config.max_parallel, n);
  ctx.ui.note(`running "${command}" in ${n} ${n === 1 ? 'worktree' : 'worktrees'}${n > 1 ? `, ${at} at a time` : ''}${timeoutMs === null ? '' : `, each for at most ${Math.round(timeoutMs / 1000)} s`}`);

  const { withInterrupts } = await import('../process/interrupts.js');
  const result = await withInterrupts(
    (signal) =>
      compareAgents(ctx, target, { command, timeoutMs }, {
        signal,
        onDone: (row) => ctx.ui.note(`  ${row.branch}: ${formatCheck(row.check)}`),
      }),
    { onSignal: (count) => count === 1 && ctx.ui.note('stopping the checks…') },
  );

  if (opts.json) {
    ctx.ui.out(JSON.stringify(result.rows.map(jsonRow), null, 2));
  } else {
    ctx.ui.out(await renderCompare(result.rows, ctx.ui.color));
    for (const line of rowNotes(result.rows, home)) ctx.ui.note(line);
  }
  const { best } = result;
  if (!best) {
    throw new FleetError(`no best candidate: no agent's check passed with changes to land`, {
      hint: `each check's output is in ${tildify(ctx.configs.home, home)}/logs/compare/; ask an agent to fix it: fleet prompt <branch> "…"`,
    });
  }
  if (!opts.json) {
    const pickBest = target.batch !== null ? ` (or: fleet pick --best ${target.batch})` : '';
    ctx.ui.out(`\nbest: ${best.branch} (${bestReason(result.rows, best)})\n  fleet diff ${best.branch}\n  fleet pick ${best.branch}${pickBest}`);
  }
  return result;
}

/** `compare --json`: the row, with the check's internal bookkeeping in plain fields. */
function jsonRow(r: CompareRow) {
  const { check } = r;
  return {
    repo: r.repo,
    branch: r.branch,
    batch_id: r.batch_id,
    agent: r.agent,
    status: r.status,
    created_at: r.created_at,
    check: {
      passed: check.passed,
      exit_code: check.exit_code,
      duration_ms: check.duration_ms,
      log: check.log,
      timed_out: check.timed_out,
      worktree_changed: check.worktree_changed,
      error: check.error,
    },
    changes: r.changes,
    usage: r.usage,
    best: r.best,
  };
}

export async function renderCompare(rows: CompareRow[], color: boolean): Promise<string> {
  const now = Date.now();
  const checkCell = (r: CompareRow) => {
    const text = formatCheck(r.check) + (r.check.worktree_changed ? ' (changed files)' : '');
    return paint(text, r.check.passed === true ? 'green' : r.check.passed === false ? 'red' : 'gray', color);
  };
  const columns: Column<CompareRow>[] = [
    { head: '', cell: (r) => (r.best ? paint('*', 'bold', color) : '') },
    { head: 'branch', cell: (r) => (r.best ? paint(r.branch, 'bold', color) : r.branch) },
    { head: 'status', cell: (r) => statusCell(r.status, null, color) },
    { head: 'check', cell: checkCell },
    { head: 'changes', cell: (r) => formatCompareChanges(r.changes) },
    { head: 'tokens', cell: (r) => (r.usage ? formatTokens(totalTokens(r.usage)) : '-'), align: 'right' },
    { head: 'cost', cell: (r) => (r.usage ? formatCost(r.usage.cost_usd) : '-'), align: 'right' },
    { head: 'age', cell: (r) => formatAge(now - Date.parse(r.created_at)), align: 'right' },
  ];
  return renderTable(columns, rows, { color });
}

/** What the table cannot say: changed worktrees, checks that could not run, logs of failures, unknown prices. */
function rowNotes(rows: readonly CompareRow[], home: string | undefined): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const c = r.check;
    if (c.worktree_changed) {
      const paths = c.changed_paths.length > 0 ? ` (${c.changed_paths.join(', ')})` : '';
      out.push(`note: the worktree of "${r.branch}" changed during the check${paths}; its row shows the worktree as it was before`);
    }
    if (c.passed === false && c.log) out.push(`note: "${r.branch}" ${c.timed_out ? 'timed out' : 'failed'}: its output is in ${tildify(c.log, home)}`);
    if (c.passed === null && c.error && c.error !== 'interrupted') out.push(`note: "${r.branch}": check not run: ${c.error}`);
  }
  const unpriced = [...new Set(rows.flatMap((r) => r.usage?.unpriced ?? []))];
  if (unpriced.length > 0) out.push(unpricedNote(unpriced));
  return out;
}

