import { Command } from 'commander';
import { FleetError, UsageError, toFleetError } from '../errors.js';
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
    .option('-f, --force', 'also discard uncommitted work in the worktree (and delete unmerged branches)')
    .option('-D, --delete-branch', 'also delete the branch (refused when it is not merged, unless --force)')
    .option('-y, --yes', 'do not ask before ending more than one agent')
    .addHelpText('after', `
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
  const failures: string[] = [];
  for (const record of matched) {
    try {
      const r = await killAgent(ctx, record, { force: opts.force, deleteBranch: opts.deleteBranch });
      results.push(r);
      const parts = [r.sessionKilled ? 'session ended' : 'session was already gone', r.worktreeRemoved ? 'worktree removed' : 'no worktree left'];
      parts.push(r.branchDeleted ? 'branch deleted' : `branch ${record.branch} kept`);
      ctx.ui.out(`killed ${record.branch}: ${parts.join(', ')}`);
      if (!r.branchDeleted && r.unmergedCommits > 0) {
        ctx.ui.note(`note: branch "${record.branch}" has ${r.unmergedCommits} commit(s) not in its base; it is kept (git log ${record.base_commit.slice(0, 7)}..${record.branch})`);
      }
    } catch (e) {
      if (matched.length === 1) throw e;
      const fe = toFleetError(e);
      failures.push(record.branch);
      ctx.ui.note(`error: ${fe.message}${fe.hint ? `\nhint: ${fe.hint}` : ''}`);
    }
  }
  if (failures.length > 0) {
    throw new FleetError(`${failures.length} of ${matched.length} agents not killed: ${failures.join(', ')}`);
  }
  return results;
}
