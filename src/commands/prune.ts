import { Command } from 'commander';
import { FleetError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { planSize } from '../core/prune-plan.js';
import { executePrune, gatherPrunePlan, type PruneAction, type PruneReport } from '../ops/prune.js';
import { canAsk, confirm } from '../ui/confirm.js';
import { plural, tildify } from '../core/format.js';
import { revivePlan } from '../ops/revive.js';

export interface PruneOptions {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export function pruneCommand(): Command {
  return new Command('prune')
    .description("clean up what is left of this repository's agents: records, sessions and worktrees")
    .option('-n, --dry-run', 'say what would be removed, remove nothing')
    .option('-y, --yes', 'do not ask first')
    .option('--json', 'print what was done as JSON')
    .addHelpText('after', `
Removes: records whose tmux session is gone (and their clean worktrees), records
whose worktree directory was deleted, records whose set-up died half-way, fleet
worktrees and sessions no record claims, and git's entries for worktree
directories that were deleted. Branches are kept (a branch with commits its base
lacks is named). A worktree with unsaved work (uncommitted changes, or commits
only its detached HEAD holds) is never removed: it is listed, with how to save
the work. Safe while agents are being created: only what was left over before
prune started, and still is, is removed.

Examples:
  fleet prune --dry-run
  fleet prune
  fleet prune --yes --json`)
    .action(async (opts: PruneOptions) => {
      const ctx = await loadContext({ needRepo: true, json: opts.json });
      await runPrune(ctx, opts);
    });
}

export async function runPrune(ctx: RepoContext, opts: PruneOptions): Promise<PruneReport> {
  const plan = await gatherPrunePlan(ctx);
  // A missing agent that fleet revive can restart on its conversation is dropped only when the user says so.
  const revivable = plan.records.filter((p) => p.reason === 'missing' && revivePlan(ctx, p.record).ok);
  const mayAsk = !opts.json && canAsk();
  if (revivable.length > 0 && !opts.yes && (opts.dryRun || !mayAsk)) {
    plan.records = plan.records.filter((p) => !revivable.includes(p));
    for (const p of revivable) {
      ctx.ui.note(`${opts.dryRun ? 'would keep' : 'kept'} "${p.record.branch}": its session is gone, but fleet revive ${p.record.branch} restarts it on its conversation (fleet prune --yes drops it)`);
    }
  }
  const size = planSize(plan);

  if (size > 0 && !opts.dryRun && !opts.yes && !opts.json && canAsk()) {
    // Show exactly what would go (uncommitted work already checked and left out), then ask.
    const preview = await executePrune(ctx, plan, { dryRun: true });
    if (preview.actions.length > 0) {
      ctx.ui.note(preview.actions.map((a) => `  ${actionVerb(a, true).replace(/^would /, '')} ${actionTarget(a, ctx.env.HOME)} (${a.detail})`).join('\n'));
      if (revivable.length > 0) ctx.ui.note(`  (${revivable.map((p) => p.record.branch).join(', ')} could be revived instead: fleet revive ${revivable.map((p) => p.record.branch).join(' ')})`);
      if (!(await confirm(`prune ${preview.actions.length === 1 ? 'this item' : `these ${preview.actions.length} items`}?`))) {
        throw new FleetError('nothing pruned', { hint: 'fleet prune --dry-run shows what it would do; --yes skips this question' });
      }
    }
  }

  const report = await executePrune(ctx, plan, { dryRun: Boolean(opts.dryRun) });
  if (opts.json) {
    ctx.ui.out(JSON.stringify({ dry_run: report.dryRun, actions: report.actions, kept: report.kept, unmerged: report.unmerged }, null, 2));
    return report;
  }

  const verb = opts.dryRun ? 'would remove' : 'removed';
  for (const a of report.actions) ctx.ui.out(`${actionVerb(a, Boolean(opts.dryRun))} ${actionTarget(a, ctx.env.HOME)} (${a.detail})`);
  for (const k of report.kept) {
    ctx.ui.note(`${opts.dryRun ? 'would keep' : 'kept'} ${tildify(k.target, ctx.env.HOME)}${k.branch ? ` (branch ${k.branch})` : ''}: ${k.why}`);
    if (k.hint) ctx.ui.note(`  hint: ${k.hint}`);
  }
  for (const u of report.unmerged) {
    ctx.ui.note(`note: branch "${u.branch}" has ${plural(u.commits, 'commit')} not in its base; it is kept (git log ${u.range})`);
  }
  if (report.actions.length === 0) ctx.ui.out(report.kept.length > 0 ? 'nothing else to prune' : 'nothing to prune');
  else {
    const kept = report.kept.length > 0 ? `, ${opts.dryRun ? 'would keep' : 'kept'} ${report.kept.length}` : '';
    ctx.ui.out(`${opts.dryRun ? 'dry run: ' : ''}${verb} ${plural(report.actions.length, 'item')}${kept}`);
  }
  return report;
}

function actionVerb(a: PruneAction, dry: boolean): string {
  const verbs: Record<PruneAction['kind'], [string, string]> = {
    record: ['removed record', 'would remove record'],
    session: ['ended session', 'would end session'],
    worktree: ['removed worktree', 'would remove worktree'],
    'stale-worktree': ["removed git's entry for worktree", "would remove git's entry for worktree"],
    branch: ['deleted branch', 'would delete branch'],
    leftover: ['removed leftover', 'would remove leftover'],
  };
  return verbs[a.kind][dry ? 1 : 0];
}

function actionTarget(a: PruneAction, home: string | undefined): string {
  return a.kind === 'worktree' || a.kind === 'stale-worktree' || a.kind === 'leftover' ? tildify(a.target, home) : a.target;
}
