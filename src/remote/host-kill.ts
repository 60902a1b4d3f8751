/**
 * kill (and prune, pick's clean-up) of an agent on a host: the same rules as ops/kill-agent.ts,
 * with every step there. Its branch and uncommitted work are fetched first, so they exist here
 * (refs/fleet/remote/<host>/<branch>, refs/fleet/remote-work/…) even if the host goes away.
 */
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { plural } from '../core/format.js';
import { hasUnsavedWork } from '../git/status.js';
import type { AgentRecord } from '../state/types.js';
import { endHostProcesses, hostUnsavedWork, removeHostWorktree } from './host-agent.js';
import { recordPlace } from './host-place.js';
import { fetchAgentWork } from './repo-sync.js';
import { unsavedError, type KillOptions } from '../ops/kill-agent.js';

/** Commits `ref` has that `base` lacks (0 when git cannot tell). */
async function commitsBetween(ctx: Context, repo: string, base: string, ref: string): Promise<number> {
  const r = await ctx.run('git', ['rev-list', '--count', `${base}..${ref}`], { cwd: repo, reject: false });
  return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
}

export interface HostKilled {
  sessionKilled: boolean;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  unmergedCommits: number;
  /** The local ref that holds the agent's branch now. */
  fetchedRef: string | null;
}

/**
 * Refuse (unsaved work without force, an unmerged branch with deleteBranch), then fetch the
 * branch here, then `end` runs (the state update around the removal: onlyIfUnchanged's lock).
 */
export async function killOnHost(ctx: Context, record: AgentRecord, opts: KillOptions, inState: (remove: () => Promise<void>) => Promise<void>): Promise<HostKilled> {
  const place = recordPlace(ctx, record);
  const repoPath = record.remote_repo!;
  const where = `${record.host}:${record.worktree}`;
  if (!opts.force) {
    const work = await hostUnsavedWork(place, record.worktree, record.copied_files);
    if (hasUnsavedWork(work)) throw unsavedError({ ...record, worktree: where }, work, undefined);
  }
  // The branch (and any uncommitted work) here first: after the worktree goes, the host's clone
  // may be all that has it, and a host can go away.
  const fetched = await fetchAgentWork(place.git, { localRepo: record.repo, repoPath, worktree: record.worktree, branch: record.branch, exclude: record.copied_files }).catch((e) => {
    // Nothing to fetch from a worktree that is gone: the branch alone then.
    if (e instanceof FleetError && /could not read the work/.test(e.message)) return null;
    throw e;
  });
  const unmerged = fetched && record.base_commit ? await commitsBetween(ctx, record.repo, record.base_commit, fetched.branchRef) : 0;
  if (opts.deleteBranch && !opts.force && unmerged > 0) {
    throw new FleetError(`branch "${record.branch}" has ${plural(unmerged, 'commit')} not merged anywhere; not deleting it`, {
      hint: `merge it first (it is here as ${fetched!.branchRef}), or fleet kill ${record.branch} --delete-branch --force`,
    });
  }
  let result: HostKilled | undefined;
  await inState(async () => {
    const { sessionKilled, left } = await endHostProcesses(place, { session: record.session, worktree: record.worktree });
    if (left.length > 0) ctx.ui.warn(`could not end ${plural(left.length, 'process', 'processes')} started by the agent on host "${record.host}" (pids ${left.join(', ')})`);
    if (!opts.force) {
      // Again, now that the session is gone: the agent may have written meanwhile.
      const work = await hostUnsavedWork(place, record.worktree, record.copied_files);
      if (hasUnsavedWork(work)) throw unsavedError({ ...record, worktree: where }, work, undefined);
    }
    await removeHostWorktree(place, repoPath, record.worktree, record.branch, { deleteBranch: Boolean(opts.deleteBranch) });
    result = { sessionKilled, worktreeRemoved: true, branchDeleted: Boolean(opts.deleteBranch), unmergedCommits: unmerged, fetchedRef: fetched?.branchRef ?? null };
  });
  return result!;
}
