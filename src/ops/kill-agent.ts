import fs from 'node:fs';
import { FleetError, UncommittedWorkError } from '../errors.js';
import type { Context } from '../context.js';
import { branchExists, commitsAhead, deleteBranch, isAncestor } from '../git/refs.js';
import { dirtyPaths } from '../git/status.js';
import { removeWorktree } from '../git/worktrees.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { killSession } from '../tmux/sessions.js';
import { tildify } from '../core/format.js';
import { recordFinalUsage } from './usage.js';

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

/** The agent's unsaved work: its worktree's dirty paths, the credential files fleet copied in left out. */
export async function uncommittedWork(ctx: Context, record: AgentRecord): Promise<string[]> {
  return (await dirtyPaths(ctx.run, record.worktree, record.copied_files)).map((e) => e.path);
}

export function dirtyError(record: AgentRecord, paths: string[], home: string | undefined): UncommittedWorkError {
  const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? `, and ${paths.length - 3} more` : '');
  return new UncommittedWorkError(
    `"${record.branch}" has uncommitted changes in ${tildify(record.worktree, home)} (${shown}); kept it`,
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
    if (dirty.length > 0) throw dirtyError(record, dirty, ctx.env.HOME);
  }
  if (opts.deleteBranch && !opts.force && record.base_commit) {
    const ahead = await commitsAhead(ctx.run, record.repo, record.base_commit, record.branch);
    const merged = await isAncestor(ctx.run, record.repo, `refs/heads/${record.branch}`, 'HEAD');
    if (ahead > 0 && !merged) {
      throw new FleetError(`branch "${record.branch}" has ${ahead} commit(s) not merged anywhere; not deleting it`, {
        hint: `merge it first, or fleet kill ${record.branch} --delete-branch --force`,
      });
    }
  }

  const sessionKilled = await killSession(ctx.run, record.session);

  let worktreeRemoved = false;
  if (fs.existsSync(record.worktree)) {
    if (!opts.force) {
      const dirty = await uncommittedWork(ctx, record);
      if (dirty.length > 0) {
        // The session is gone but the work is not: keep the worktree and the record.
        throw dirtyError(record, dirty, ctx.env.HOME);
      }
    }
    await removeWorktree(ctx.run, record.repo, record.worktree, { worktreeRoot: ctx.config.worktree_root, force: true });
    worktreeRemoved = true;
  }

  await ctx.state.update((agents) => agents.filter((a) => !sameAgent(a, record)));
  await recordFinalUsage(ctx, record);

  let unmergedCommits = 0;
  let branchDeleted = false;
  const exists = await branchExists(ctx.run, record.repo, record.branch);
  if (exists && record.base_commit) {
    unmergedCommits = await commitsAhead(ctx.run, record.repo, record.base_commit, record.branch);
  }
  if (opts.deleteBranch && exists) {
    await deleteBranch(ctx.run, record.repo, record.branch, true);
    branchDeleted = true;
  }
  return { branch: record.branch, sessionKilled, worktreeRemoved, branchDeleted, unmergedCommits };
}
