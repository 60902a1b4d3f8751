import fs from 'node:fs';
import { FleetError, UncommittedWorkError } from '../errors.js';
import type { Context } from '../context.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { tildify } from '../ui/output.js';

export interface KillOptions {
  force?: boolean;
  deleteBranch?: boolean;
}

export interface KillResult {
  branch: string;
  sessionKilled: boolean;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** Commits on the branch that its base does not have (so nobody forgets the branch). */
  unmergedCommits: number;
}

/** Uncommitted work in a worktree: git status entries, minus the credential files fleet copied in. */
export async function uncommittedWork(ctx: Context, record: AgentRecord): Promise<string[]> {
  if (!fs.existsSync(record.worktree)) return [];
  const entries = await ctx.git.changedPaths(record.worktree);
  const copied = new Set(record.copied_files);
  return entries.filter((e) => !(e.code === '??' && copied.has(e.path))).map((e) => e.path);
}

export function dirtyError(record: AgentRecord, paths: string[]): UncommittedWorkError {
  const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? `, and ${paths.length - 3} more` : '');
  return new UncommittedWorkError(
    `"${record.branch}" has uncommitted changes in ${tildify(record.worktree)} (${shown}); kept it`,
    paths,
    `commit them in the worktree, or fleet kill ${record.branch} --force to discard them`,
  );
}

/**
 * End one agent: session, worktree, record; the branch stays unless deleteBranch. Uncommitted
 * work stops it before anything is touched (unless force), and is checked again after the
 * session ends, since the agent may have written in between.
 */
export async function killAgent(ctx: Context, record: AgentRecord, opts: KillOptions = {}): Promise<KillResult> {
  if (!opts.force) {
    const dirty = await uncommittedWork(ctx, record);
    if (dirty.length > 0) throw dirtyError(record, dirty);
  }
  if (opts.deleteBranch && !opts.force && record.base_commit) {
    const ahead = await ctx.git.commitsAhead(record.repo, record.base_commit, record.branch);
    const merged = await isMergedIntoHead(ctx, record);
    if (ahead > 0 && !merged) {
      throw new FleetError(`branch "${record.branch}" has ${ahead} commit(s) not merged anywhere; not deleting it`, {
        hint: `merge it first, or fleet kill ${record.branch} --delete-branch --force`,
      });
    }
  }

  const sessionKilled = await ctx.tmux.killSession(record.session);

  let worktreeRemoved = false;
  if (fs.existsSync(record.worktree)) {
    if (!opts.force) {
      const dirty = await uncommittedWork(ctx, record);
      if (dirty.length > 0) {
        // The session is gone but the work is not: keep the worktree and the record.
        throw dirtyError(record, dirty);
      }
    }
    await ctx.git.remove(record.repo, record.worktree, { worktreeRoot: ctx.config.worktree_root, force: true });
    worktreeRemoved = true;
  }

  await ctx.state.update((agents) => agents.filter((a) => !sameAgent(a, record)));

  let unmergedCommits = 0;
  let branchDeleted = false;
  const branchExists = await ctx.git.branchExists(record.repo, record.branch);
  if (branchExists && record.base_commit) {
    unmergedCommits = await ctx.git.commitsAhead(record.repo, record.base_commit, record.branch);
  }
  if (opts.deleteBranch && branchExists) {
    await ctx.git.deleteBranch(record.repo, record.branch, true);
    branchDeleted = true;
  }
  return { branch: record.branch, sessionKilled, worktreeRemoved, branchDeleted, unmergedCommits };
}

async function isMergedIntoHead(ctx: Context, record: AgentRecord): Promise<boolean> {
  const r = await ctx.run('git', ['merge-base', '--is-ancestor', `refs/heads/${record.branch}`, 'HEAD'], { cwd: record.repo, reject: false });
  return r.exitCode === 0;
}
