/**
 * kill (and prune, pick's clean-up) of an agent on a host: the same rules as ops/kill-agent.ts,
 * with every step there. Its branch and uncommitted work are fetched first, so they exist here
 * (refs/fleet/remote/<host>/<branch>, refs/fleet/remote-work/…) even if the host goes away.
 */
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { plural } from '../core/format.js';
import { countCommits, resolveCommit } from '../git/refs.js';
import { hasUnsavedWork } from '../git/status.js';
import type { AgentRecord } from '../state/types.js';
import { endHostProcesses, hostUnsavedWork, removeHostWorktree } from './host-agent.js';
import { recordPlace } from './host-place.js';
import { fetchAgentWork, localBranchRef } from './repo-sync.js';
import { shQuote } from './shell-quote.js';
import { HostTimeoutError, HostUnreachableError } from './remote-runner.js';
import { unsavedError, type KillOptions } from '../ops/kill-agent.js';


export interface HostKilled {
  sessionKilled: boolean;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  unmergedCommits: number;
  /** The local ref that holds the agent's branch now. */
  fetchedRef: string | null;
  /** --force on an unreachable host: only the record was dropped. */
  hostGone?: boolean;
}

/**
 * Refuse (unsaved work without force, an unmerged branch with deleteBranch), then fetch the
 * branch here, then `end` runs (the state update around the removal: onlyIfUnchanged's lock).
 */
export async function killOnHost(ctx: Context, record: AgentRecord, opts: KillOptions, inState: (remove: () => Promise<void>) => Promise<void>): Promise<HostKilled> {
  if (!ctx.config.hosts[record.host!]) return hostGone(ctx, record, opts, inState, `it is no longer in your config`, `add [hosts.${record.host}] back (fleet config edit)`);
  const place = recordPlace(ctx, record);
  const repoPath = record.remote_repo!;
  const where = `${record.host}:${record.worktree}`;
  let fetched: Awaited<ReturnType<typeof fetchAgentWork>> | null;
  try {
    if (!opts.force) {
      const work = await hostUnsavedWork(place, record.worktree, record.copied_files);
      if (hasUnsavedWork(work)) throw unsavedError({ ...record, worktree: where }, work, undefined);
    }
    // The branch (and any uncommitted work) here first: after the worktree goes, the host's clone
    // may be all that has it, and a host can go away.
    fetched = await fetchAgentWork(place.git, { localRepo: record.repo, repoPath, worktree: record.worktree, branch: record.branch, exclude: record.copied_files }).catch((e) => {
      // Nothing to fetch from a worktree that is gone: the branch alone then.
      if (e instanceof FleetError && /could not read the work/.test(e.message)) return null;
      throw e;
    });
  } catch (e) {
    if (e instanceof HostUnreachableError || e instanceof HostTimeoutError) {
      return hostGone(ctx, record, opts, inState, e.message.replace(/^host "[^"]*":? ?/, ''), e.hint ?? `fleet doctor --host ${record.host}`);
    }
    throw e;
  }
  const unmerged = fetched && record.base_commit ? await countCommits(ctx.run, record.repo, record.base_commit, fetched.branchRef) : 0;
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

/**
 * The agent's host cannot be reached (or is no longer configured). Without --force: an error
 * naming --force. With it: the record goes, nothing on the host is touched (it cannot be), and
 * one warning says what may be left there and how to clean it up by hand. What was fetched
 * here (refs/fleet/remote/<host>/<branch>) stays.
 */
async function hostGone(ctx: Context, record: AgentRecord, opts: KillOptions, inState: (remove: () => Promise<void>) => Promise<void>, why: string, hint: string): Promise<HostKilled> {
  const host = record.host!;
  if (!opts.force) {
    throw new FleetError(`cannot end "${record.branch}": host "${host}" ${/^it /.test(why) ? why.slice(3) : `is unreachable: ${why}`}`, {
      hint: `${hint}; if the host is gone for good, fleet kill ${record.branch} --force drops its record (what is on the host stays there)`,
    });
  }
  const repo = record.remote_repo ?? '<its clone>';
  ctx.ui.warn(
    `dropped "${record.branch}" without reaching host "${host}" (${why}): its tmux session ${record.session}, its worktree ${record.worktree} and any processes it started may still be there; ` +
      `to clean up on the host: tmux kill-session -t ${shQuote(`=${record.session}`)}; git -C ${shQuote(repo)} worktree remove --force ${shQuote(record.worktree)}`,
  );
  await inState(async () => undefined);
  const ref = localBranchRef(host, record.branch);
  const kept = await resolveCommit(ctx.run, record.repo, ref);
  return { sessionKilled: false, worktreeRemoved: false, branchDeleted: false, unmergedCommits: 0, fetchedRef: kept !== null ? ref : null, hostGone: true };
}
