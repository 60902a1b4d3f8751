import { Command } from 'commander';
import { FleetError, UncommittedWorkError, UsageError, toFleetError } from '../errors.js';
import { plural } from '../core/format.js';
import { loadContext, type RepoContext } from '../context.js';
import { matchAgents, recordsOfRepo, unknownAgent } from '../ops/find.js';
import { killAgent, type KillResult } from '../ops/kill-agent.js';
import { canAsk, confirm } from '../ui/confirm.js';
import { queryRecords } from '../state/state-manager.js';

export interface KillCommandOptions {
  batch?: string;
  force?: boolean;
  deleteBranch?: boolean;
  yes?: boolean;
}

export function killCommand(): Command {
  return new Command('kill')
    .description('end agents: tmux session, worktree and record (the branch is kept)')
    .argument('[branches...]', "branch names or globs (quote globs: 'fix-*')")
    .option('--batch <id>', 'every agent of this batch')
    .option('-f, --force', 'also discard uncommitted changes (commits of a detached HEAD are kept under refs/fleet/rescued/) and delete unmerged branches')
    .option('-D, --delete-branch', 'also delete the branch (refused when it is not merged, unless --force)')
    .option('-y, --yes', 'do not ask before ending more than one agent')
    .addHelpText('after', `
An agent with unsaved work is kept whole: uncommitted changes in its worktree
(the credential files fleet copied in are not its work), or commits that only
its detached HEAD holds. An agent whose host cannot be reached is kept too;
--force then drops its record and names what is left on the host.

Examples:
  fleet kill fix-auth
  fleet kill 'auth-refactor-*' --yes
  fleet kill --batch auth-refactor
  fleet kill try-1 --force --delete-branch`)
    .action(async (branches: string[], opts: KillCommandOptions) => {
      const ctx = await loadContext({ needRepo: true });
      await runKill(ctx, branches, opts);
    });
}

export async function runKill(ctx: RepoContext, patterns: string[], opts: KillCommandOptions): Promise<KillResult[]> {
  if (patterns.length === 0 && !opts.batch) {
    throw new UsageError('name the agents to kill', 'fleet kill <branch>… or fleet kill --batch <id> (fleet list shows them)');
  }
  const records = recordsOfRepo(await ctx.state.read(), ctx.repo);
  const { matched, unmatched } = matchAgents(records, patterns);
  if (opts.batch) {
    const inBatch = queryRecords(records, { batch: opts.batch });
    if (inBatch.length === 0) throw new FleetError(`no agents in batch "${opts.batch}"`, { hint: 'fleet list --grouped shows the batches' });
    for (const r of inBatch) if (!matched.includes(r)) matched.push(r);
  }
  if (unmatched.length > 0) throw unknownAgent(unmatched[0]!, records);

  if (matched.length > 1 && !opts.yes && canAsk()) {
    // One question for the whole set; a batch of 100 names them in short.
    const shown = matched.length > 8 ? [...matched.slice(0, 6).map((r) => r.branch), `… ${matched.length - 6} more`] : matched.map((r) => r.branch);
    const ok = await confirm(`end ${matched.length} agents${opts.batch ? ` of batch "${opts.batch}"` : ''} (${shown.join(', ')})?`);
    if (!ok) throw new FleetError('nothing killed', { exitCode: 1 });
  }

  const results: KillResult[] = [];
  const failures: { branch: string; error: FleetError }[] = [];
  for (const record of matched) {
    try {
      const r = await killAgent(ctx, record, { force: opts.force, deleteBranch: opts.deleteBranch });
      results.push(r);
      if (r.hostGone) {
        // Only the record went (the warning said what is left on the host).
        ctx.ui.out(`dropped ${record.branch}: nothing on host "${record.host}" was touched${r.fetchedRef ? `; its commits fetched earlier are here as ${r.fetchedRef}` : ''}`);
        continue;
      }
      const parts = [r.sessionKilled ? 'session ended' : 'session was already gone', r.worktreeRemoved ? 'worktree removed' : 'no worktree left'];
      parts.push(r.branchDeleted ? 'branch deleted' : `branch ${record.branch} kept`);
      // On a host: where the branch is here now.
      if (r.fetchedRef) parts.push(`its commits are here as ${r.fetchedRef}`);
      ctx.ui.out(`killed ${record.branch}: ${parts.join(', ')}`);
      if (r.rescued) {
        const them = r.rescued.commits === 1 ? 'it' : 'them';
        ctx.ui.note(`note: ${plural(r.rescued.commits, 'commit')} of its detached HEAD that no branch contained ${r.rescued.commits === 1 ? 'is' : 'are'} kept as ${r.rescued.ref} (git branch <name> ${r.rescued.ref} saves ${them} on a branch)`);
      }
      if (!r.branchDeleted && r.unmergedCommits > 0) {
        ctx.ui.note(`note: branch "${record.branch}" has ${plural(r.unmergedCommits, 'commit')} not in its base; it is kept (git log ${record.base_commit.slice(0, 7)}..${r.fetchedRef ?? record.branch})`);
      }
    } catch (e) {
      if (matched.length === 1) throw e;
      failures.push({ branch: record.branch, error: toFleetError(e) });
    }
  }
  if (failures.length > 0) throw notKilled(failures, matched.length, opts);
  return results;
}

/**
 * One error for every agent that was not killed: a line each with its reason, and one hint.
 * When unsaved work is what stopped them all, the hint is one command for all of them.
 */
function notKilled(failures: { branch: string; error: FleetError }[], total: number, opts: KillCommandOptions): FleetError {
  const lines = failures.map((f) => `  ${f.error.message}`);
  const names = failures.map((f) => f.branch);
  let hint: string | undefined;
  if (failures.every((f) => f.error instanceof UncommittedWorkError)) {
    const commits = failures.some((f) => (f.error as UncommittedWorkError).commits.length > 0);
    const flags = opts.deleteBranch ? ' --delete-branch' : '';
    hint = commits
      ? `save or commit the work in each worktree (git -C <worktree> switch -c <name> saves commits), or fleet kill ${names.join(' ')}${flags} --force to discard changes (commits are kept under refs/fleet/rescued/)`
      : `commit them in the worktrees, or fleet kill ${names.join(' ')}${flags} --force to discard them`;
  } else {
    const hints = [...new Set(failures.map((f) => f.error.hint).filter((h): h is string => Boolean(h)))];
    hint = hints.length > 0 ? hints.join('; ') : undefined;
  }
  return new FleetError(`${failures.length} of ${plural(total, 'agent')} not killed:\n${lines.join('\n')}`, { hint });
}
