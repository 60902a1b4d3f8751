import { Command, Option } from 'commander';
import { FleetError, UsageError } from '../errors.js';
import { loadContext, type RepoContext } from '../context.js';
import { PICK_STRATEGIES, parseStrategy } from '../core/changes.js';
import { plural } from '../core/format.js';
import { describeUnsaved } from '../core/unsaved.js';
import type { PickPlan, PickResult } from '../ops/pick.js';
import { canAsk, confirm } from '../ui/confirm.js';

export interface PickOptions {
  into?: string;
  strategy?: string;
  message?: string;
  yes?: boolean;
  best?: string;
}

export function pickCommand(): Command {
  return new Command('pick')
    .description("land an agent's work (commits and uncommitted work) into the main checkout's branch, then end its batch")
    .argument('[branch]', 'the winning agent')
    .option('--best <batch>', 'the agent the last fleet compare of <batch> marked best (refused if the batch changed since)')
    .option('--into <branch>', "land into this branch (default: the branch checked out in the main checkout)")
    .addOption(new Option('-s, --strategy <how>', 'merge (a merge commit), squash (one commit) or rebase (its commits replayed on top)').choices(PICK_STRATEGIES).default('merge'))
    .option('-m, --message <text>', 'message of the merge or squash commit')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .addHelpText('after', `
What happens, in order:
  1. the winner's uncommitted work (untracked files included, credential_files
     and ignored files not) is committed on its branch, in a commit whose
     message says so;
  2. its branch is merged, squashed or rebased into the target in a scratch
     checkout, and the target moves only if that went cleanly;
  3. the winner and the rest of its batch are ended: sessions and worktrees
     removed, branches kept. An agent with unsaved work (uncommitted changes,
     or commits only its detached HEAD holds) is kept whole and named.
It refuses, changing nothing, when the main checkout has uncommitted changes to
tracked files; a conflict changes nothing either, and says which files
conflict.

Examples:
  fleet diff auth-refactor-2 && fleet pick auth-refactor-2
  fleet pick fix-login --strategy squash -m "Fix the login redirect"
  fleet pick try-3 --into release --strategy rebase --yes
  fleet pick --best auth-refactor     # after fleet compare auth-refactor`)
    .action(async (branch: string | undefined, opts: PickOptions) => {
      const ctx = await loadContext({ needRepo: true });
      if (opts.best !== undefined && branch !== undefined) throw new UsageError('give a branch or --best <batch>, not both', `fleet pick ${branch}, or fleet pick --best ${opts.best}`);
      if (opts.best === undefined && branch === undefined) throw new UsageError('name the agent to pick', 'fleet pick <branch>, or fleet pick --best <batch> after fleet compare <batch>');
      const { bestOfLastCompare } = await import('../ops/compare.js');
      await runPick(ctx, branch ?? (await bestOfLastCompare(ctx, opts.best!)), opts);
    });
}

function describePlan(plan: PickPlan): string {
  const lines = [`land "${plan.winner.branch}" into "${plan.into}" (${plan.strategy})`];
  if (plan.winnerDirty.length > 0) lines.push(`  after committing its uncommitted work (${plural(plan.winnerDirty.length, 'file')})`);
  const ending = [plan.winner.branch, ...plan.others.filter((o) => !plan.dirtyOthers.has(o.branch)).map((o) => o.branch)];
  lines.push(`then end ${ending.join(', ')} (sessions and worktrees; branches are kept)`);
  for (const [b, work] of plan.dirtyOthers) lines.push(`  keeping ${b}: it has ${describeUnsaved(work)}`);
  return lines.join('\n');
}

export async function runPick(ctx: RepoContext, branch: string, opts: PickOptions): Promise<PickResult> {
  const strategy = parseStrategy(opts.strategy);
  if (!strategy) throw new UsageError(`--strategy "${opts.strategy}" is not one of ${PICK_STRATEGIES.join(', ')}`, `e.g. fleet pick ${branch} --strategy squash`);
  if (opts.message !== undefined) {
    if (opts.message.trim() === '') throw new UsageError('--message is empty', `e.g. fleet pick ${branch} -m "Fix the login bug"`);
    if (strategy === 'rebase') {
      throw new UsageError('--message applies to --strategy merge or squash; rebase keeps the commits as they are', `drop --message, or use --strategy squash`);
    }
  }

  const { planPick, executePick } = await import('../ops/pick.js');
  const plan = await planPick(ctx, { branch, into: opts.into, strategy, message: opts.message });

  if (!opts.yes && canAsk()) {
    ctx.ui.note(describePlan(plan));
    if (!(await confirm('go ahead?'))) throw new FleetError('nothing picked; nothing was changed');
  }

  const { withInterrupts } = await import('../process/interrupts.js');
  const result = await withInterrupts((signal) => executePick(ctx, plan, { signal }));

  const short = (c: string) => c.slice(0, 7);
  ctx.ui.out(`landed ${plan.winner.branch} into ${plan.into} (${plan.strategy}): ${plan.into} is now at ${short(result.landed)}`);
  if (result.wip) {
    const { files, untracked: n } = result.wip;
    const untracked = n === 0 ? '' : files === 1 ? ', untracked' : n === files ? `, all untracked` : `, ${n} of them untracked`;
    ctx.ui.out(`  its uncommitted work (${plural(result.wip.files, 'file')}${untracked}) was committed first, as ${short(result.wip.commit)} on ${plan.winner.branch}`);
  }
  if (result.ended.length > 0) {
    const what = result.ended.length === 1 ? 'session and worktree removed, branch kept' : 'sessions and worktrees removed, branches kept';
    ctx.ui.out(`ended ${result.ended.join(', ')}: ${what}`);
  }
  for (const u of result.unmerged) {
    ctx.ui.note(`note: branch "${u.branch}" has ${plural(u.commits, 'commit')} not in its base; it is kept (git log ${short(u.base)}..${u.branch})`);
  }
  for (const k of result.kept) {
    ctx.ui.note(`note: ${k.reason}\nhint: ${k.hint}`);
  }
  return result;
}
