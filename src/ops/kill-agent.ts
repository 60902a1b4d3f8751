import fs from 'node:fs';
import { FleetError, UncommittedWorkError } from '../errors.js';
import type { Context } from '../context.js';
import { branchExists, commitsAhead, currentBranch, deleteBranch, isAncestor, pinCommit } from '../git/refs.js';
import { commitsOnNoBranch, hasUnsavedWork, unsavedWork, type UnsavedWork } from '../git/status.js';
import { removeWorktree } from '../git/worktrees.js';
import { setupOwner } from '../state/owner.js';
import { sameAgent } from '../state/state-manager.js';
import type { AgentRecord } from '../state/types.js';
import { plural, tildify } from '../core/format.js';
import { describeUnsaved, saveUnsavedHint, type UnsavedSummary } from '../core/unsaved.js';
import { endAgentProcesses } from './end-agent.js';
import { recordFinalUsage } from './usage.js';

export interface KillOptions {
  force?: boolean;
  deleteBranch?: boolean;
  /**
   * Only while the record is still the one given, checked under the state lock and held for
   * the whole removal, so that no `fleet create` can take the branch, its session or its
   * worktree meanwhile (prune works from a plan made earlier).
   */
  onlyIfUnchanged?: boolean;
}

export interface KillResult {
  branch: string;
  sessionKilled: boolean;
  worktreeRemoved: boolean;
  branchDeleted: boolean;
  /** Commits on the branch that its base does not have (so nobody forgets the branch). */
  unmergedCommits: number;
  /** With --force: the ref that now holds commits only the worktree's detached HEAD had. */
  rescued: { ref: string; commits: number } | null;
  /** An agent on a host: the local ref its branch was fetched into before its worktree went. */
  fetchedRef?: string | null;
  /** An agent on a host that could not be reached (--force): only its record was dropped. */
  hostGone?: boolean;
}

/** Where --force keeps the commits of a detached HEAD before the worktree goes. */
export const RESCUE_PREFIX = 'refs/fleet/rescued';

/** The agent's unsaved work (git/status.ts unsavedWork): the credential files fleet copied in are not its work. */
export async function agentUnsavedWork(ctx: Context, record: AgentRecord): Promise<UnsavedWork> {
  if (record.host) {
    const [{ recordPlace }, { hostUnsavedWork }] = await Promise.all([import('../remote/host-place.js'), import('../remote/host-agent.js')]);
    return hostUnsavedWork(recordPlace(ctx, record), record.worktree, record.copied_files);
  }
  return unsavedWork(ctx.run, record.worktree, record.copied_files);
}

export function summarizeUnsaved(w: UnsavedWork): UnsavedSummary {
  return { paths: w.changes.map((e) => e.path), commits: w.commits };
}

export function unsavedError(record: AgentRecord, work: UnsavedWork, home: string | undefined): UncommittedWorkError {
  const s = summarizeUnsaved(work);
  const where = tildify(record.worktree, home);
  return new UncommittedWorkError(
    `"${record.branch}" has ${describeUnsaved(s)} in ${where}; kept it`,
    s.paths,
    saveUnsavedHint(s, where, `fleet kill ${record.branch} --force`),
    s.commits,
  );
}

/** The record is not the one the caller read any more (ended, or made again, meanwhile): nothing was touched. */
export class AgentChangedError extends FleetError {
  constructor(branch: string) {
    super(`"${branch}" changed while fleet was working on it; left it alone`, { hint: 'fleet list shows it now' });
    this.name = 'AgentChangedError';
  }
}

/** The same agent as when it was read: not one made since on the same branch, and not changed by its set-up. */
export function sameRecord(a: AgentRecord, b: AgentRecord): boolean {
  return sameAgent(a, b) && a.created_at === b.created_at && a.session === b.session && a.worktree === b.worktree && a.phase === b.phase && a.owner_pid === b.owner_pid;
}

/** An agent another fleet process is still setting up: ending it now would pull its worktree from under it. */
export function stillSettingUp(record: AgentRecord, owner: number): FleetError {
  return new FleetError(`"${record.branch}" is still being set up by fleet (pid ${owner}); left it alone`, {
    hint: `wait until fleet list shows it running, then fleet kill ${record.branch}; or stop that fleet (Ctrl+C, or kill -INT ${owner}) to roll it back`,
  });
}

/**
 * End one agent: its processes (the whole tree, see endAgentProcesses), session, worktree,
 * record; the branch stays unless deleteBranch. Unsaved work (uncommitted changes, commits
 * only a detached HEAD holds) stops it before anything is touched, and is checked again after
 * the session ends, since the agent may have written in between. With force, changes are
 * discarded, but commits are first pinned under refs/fleet/rescued/. An agent still being set
 * up by a live fleet is refused, force or not.
 */
export async function killAgent(ctx: Context, record: AgentRecord, opts: KillOptions = {}): Promise<KillResult> {
  const owner = setupOwner(record);
  if (owner !== null) throw stillSettingUp(record, owner);
  if (record.host) {
    const { killOnHost } = await import('../remote/host-kill.js');
    const drop = (agents: AgentRecord[]) => agents.filter((a) => !sameAgent(a, record));
    const r = await killOnHost(ctx, record, opts, async (remove) => {
      if (!opts.onlyIfUnchanged) {
        await remove();
        await ctx.state.update(drop);
        return;
      }
      await ctx.state.update(async (agents) => {
        if (!agents.some((a) => sameRecord(a, record))) throw new AgentChangedError(record.branch);
        await remove();
        return drop(agents);
      });
    });
    return { branch: record.branch, ...r, rescued: null };
  }
  if (!opts.force) {
    const work = await agentUnsavedWork(ctx, record);
    if (hasUnsavedWork(work)) throw unsavedError(record, work, ctx.env.HOME);
  }
  if (opts.deleteBranch && !opts.force && record.base_commit) {
    const ahead = await commitsAhead(ctx.run, record.repo, record.base_commit, record.branch);
    const merged = await isAncestor(ctx.run, record.repo, `refs/heads/${record.branch}`, 'HEAD');
    if (ahead > 0 && !merged) {
      throw new FleetError(`branch "${record.branch}" has ${plural(ahead, 'commit')} not merged anywhere; not deleting it`, {
        hint: `merge it first, or fleet kill ${record.branch} --delete-branch --force`,
      });
    }
  }

  let ended: Ended;
  if (opts.onlyIfUnchanged) {
    let done: Ended | undefined;
    await ctx.state.update(async (agents) => {
      if (!agents.some((a) => sameRecord(a, record))) throw new AgentChangedError(record.branch);
      done = await endSessionAndWorktree(ctx, record, Boolean(opts.force));
      return agents.filter((a) => !sameAgent(a, record));
    });
    ended = done!;
  } else {
    ended = await endSessionAndWorktree(ctx, record, Boolean(opts.force));
    await ctx.state.update((agents) => agents.filter((a) => !sameAgent(a, record)));
  }

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
  return { branch: record.branch, ...ended, branchDeleted, unmergedCommits };
}

type Ended = Pick<KillResult, 'sessionKilled' | 'worktreeRemoved' | 'rescued'>;

/** Session first (so nothing writes into a directory being removed), then the worktree. */
async function endSessionAndWorktree(ctx: Context, record: AgentRecord, force: boolean): Promise<Ended> {
  const { sessionKilled } = await endAgentProcesses(ctx, { session: record.session, worktree: record.worktree });

  let worktreeRemoved = false;
  let rescued: KillResult['rescued'] = null;
  if (fs.existsSync(record.worktree)) {
    // Again, now that the session is gone: the agent may have written or committed meanwhile.
    const work = force ? await forcedLook(ctx, record) : await agentUnsavedWork(ctx, record);
    // The session is gone but the work is not: keep the worktree and the record.
    if (!force && hasUnsavedWork(work)) throw unsavedError(record, work, ctx.env.HOME);
    if (work.commits.length > 0) {
      const ref = await pinCommit(ctx.run, record.repo, `${RESCUE_PREFIX}/${record.branch}`, work.commits[0]!);
      rescued = { ref, commits: work.commits.length };
    }
    await removeWorktree(ctx.run, record.repo, record.worktree, { worktreeRoot: ctx.config.worktree_root, force: true });
    worktreeRemoved = true;
  }
  return { sessionKilled, worktreeRemoved, rescued };
}

/**
 * The look --force takes before removing a worktree: it goes whatever it holds, but a detached
 * HEAD's commits are pinned first. When `git status` cannot read the worktree (a broken index,
 * say), HEAD is still asked for directly; a worktree git cannot read at all has nothing to pin.
 */
async function forcedLook(ctx: Context, record: AgentRecord): Promise<UnsavedWork> {
  try {
    return await agentUnsavedWork(ctx, record);
  } catch {
    const detached = (await currentBranch(ctx.run, record.worktree)) === null;
    const commits = detached ? await commitsOnNoBranch(ctx.run, record.worktree, 'HEAD').catch(() => []) : [];
    return { changes: [], commits };
  }
}

/**
 * What to suggest when an agent's session is gone: prune removes it only when its worktree
 * holds nothing unsaved, so name what works for one that does.
 */
export async function sessionGoneHint(ctx: Context, record: AgentRecord): Promise<string> {
  const work = await agentUnsavedWork(ctx, record).catch(() => null);
  const b = record.branch;
  if (!work || !hasUnsavedWork(work)) return `fleet prune cleans up after it, or fleet kill ${b}`;
  const where = tildify(record.worktree, ctx.env.HOME);
  if (work.commits.length > 0) return `its worktree ${where} holds ${describeUnsaved(summarizeUnsaved(work))}: ${saveUnsavedHint(summarizeUnsaved(work), where, `fleet kill ${b} --force`)}`;
  return `its worktree still has uncommitted changes, which fleet prune keeps: fleet diff ${b} shows them, fleet pick ${b} lands them, fleet kill ${b} --force discards them`;
}
