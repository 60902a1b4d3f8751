import { FleetError, InterruptedError, toFleetError } from '../errors.js';
import type { Context, RepoContext } from '../context.js';
import { mergeMessage, squashMessage, wipCommitMessage, type PickStrategy } from '../core/changes.js';
import { tildify, withGitMessage } from '../core/format.js';
import { branchExists, commitSubjects, currentBranch, fastForward, moveBranch, resetIndexTo, resolveCommit, treeOf } from '../git/refs.js';
import { realpath, type RepoInfo } from '../git/repo.js';
import { withScratchWorktree } from '../git/scratch.js';
import { commitTree, snapshot } from '../git/snapshot.js';
import { trackedChanges, type StatusEntry } from '../git/status.js';
import { listWorktrees } from '../git/worktrees.js';
import { CommandError } from '../process/runner.js';
import type { AgentRecord } from '../state/types.js';
import { fetchHostRefs, fetchHostWork, hasWorktree } from './changes.js';
import { endAgentProcesses } from './end-agent.js';
import { findAgent } from './find.js';
import { agentUnsavedWork, killAgent, summarizeUnsaved } from './kill-agent.js';
import { hasUnsavedWork } from '../git/status.js';
import type { UnsavedSummary } from '../core/unsaved.js';

export interface PickRequest {
  branch: string;
  into?: string;
  strategy: PickStrategy;
  message?: string;
}

/** Everything `pick` will do, worked out (and checked) before anything is changed. */
export interface PickPlan {
  repo: RepoInfo;
  winner: AgentRecord;
  strategy: PickStrategy;
  message: string | undefined;
  /** The branch that receives the work, and its tip when the plan was made. */
  into: string;
  intoTip: string;
  /** The checkout where `into` is checked out (the main checkout), or null when it is checked out nowhere. */
  checkout: string | null;
  /** The rest of the winner's batch. */
  others: AgentRecord[];
  /** Others with unsaved work (uncommitted changes, commits only a detached HEAD holds): left whole (session, worktree, record). */
  dirtyOthers: Map<string, UnsavedSummary>;
  /** Uncommitted work of the winner that will be committed before landing. */
  winnerDirty: StatusEntry[];
}

export interface PickResult {
  /** The commit `into` now points at. */
  landed: string;
  /** The commit made of the winner's uncommitted work, if there was any. */
  wip: { commit: string; files: number; untracked: number } | null;
  ended: string[];
  /** Agents left whole, and why. */
  kept: { branch: string; reason: string; hint: string }[];
  /** Ended agents whose branches have commits not in their base. */
  unmerged: { branch: string; commits: number; base: string }[];
}

function listPaths(paths: readonly string[], max = 3): string {
  return paths.slice(0, max).map((p) => `"${p}"`).join(', ') + (paths.length > max ? ` and ${paths.length - max} more` : '');
}

/** git refuses to commit without an identity; say how to set one. */
function gitFailure(what: string, e: unknown): FleetError {
  const stderr = e instanceof CommandError ? e.result.stderr : '';
  if (/tell me who you are|unable to auto-detect email|empty ident/i.test(stderr)) {
    return new FleetError(`git has no author identity, so it cannot ${what}; nothing was changed`, {
      hint: 'git config --global user.name "Your Name" && git config --global user.email you@example.com',
    });
  }
  if (stderr.trim()) return new FleetError(withGitMessage(`could not ${what}`, stderr, '; nothing was changed'));
  return new FleetError(`could not ${what}: ${e instanceof Error ? e.message : String(e)}; nothing was changed`);
}

/**
 * Work out and check a pick without changing anything: the winner, the target branch and where
 * it is checked out, that checkout being clean, and the rest of the batch.
 */
export async function planPick(ctx: RepoContext, req: PickRequest): Promise<PickPlan> {
  const repo = ctx.repo;
  const home = ctx.env.HOME;
  const winner = await findAgent(ctx, req.branch);
  if (winner.phase === 'creating') {
    throw new FleetError(`"${winner.branch}" is not set up (it is still being created, or its set-up failed); there is nothing to land`, {
      hint: 'fleet list shows its status; fleet prune cleans up a failed set-up',
    });
  }
  const worktrees = await listWorktrees(ctx.run, repo.root);

  let into = req.into?.replace(/^refs\/heads\//, '');
  if (into === undefined) {
    const current = await currentBranch(ctx.run, repo.root);
    if (!current) {
      throw new FleetError('the main checkout is not on a branch (detached HEAD), so there is nothing to land into', {
        hint: `git switch <branch> in ${tildify(repo.root, home)}, or name the target: fleet pick ${winner.branch} --into <branch>`,
      });
    }
    into = current;
  }
  if (into === winner.branch) {
    throw new FleetError(`cannot land "${winner.branch}" into itself`, { hint: `name another branch: fleet pick ${winner.branch} --into <branch>` });
  }
  const intoTip = await resolveCommit(ctx.run, repo.root, `refs/heads/${into}`);
  if (!intoTip) {
    throw new FleetError(`--into "${into}" is not a branch of this repository`, {
      hint: `git branch lists the branches; make it first: git branch ${into} <start>`,
    });
  }
  const at = worktrees.find((w) => w.branch === into);
  let checkout: string | null = null;
  if (at) {
    if (realpath(at.path) !== repo.root) {
      throw new FleetError(`"${into}" is checked out at ${tildify(at.path, home)}, so fleet will not move it under that checkout`, {
        hint: `land into the main checkout's branch, or switch that worktree to another branch first`,
      });
    }
    checkout = repo.root;
    const dirty = await trackedChanges(ctx.run, repo.root);
    if (dirty.length > 0) {
      throw new FleetError(`the main checkout has uncommitted changes (${listPaths(dirty)}); nothing was changed`, {
        hint: `commit or stash them first (git -C ${tildify(repo.root, home)} stash), then fleet pick ${winner.branch} again`,
      });
    }
  }

  let winnerDirty: StatusEntry[] = [];
  if (winner.host) {
    // On a host: its uncommitted work is read there now, and fetched with the branch when landing.
    winnerDirty = (await agentUnsavedWork(ctx, winner)).changes;
  } else if (hasWorktree(winner)) {
    const onBranch = await currentBranch(ctx.run, winner.worktree);
    if (onBranch !== winner.branch) {
      throw new FleetError(`the worktree of "${winner.branch}" has ${onBranch ? `"${onBranch}"` : 'a detached HEAD'} checked out, not "${winner.branch}"`, {
        hint: `git -C ${tildify(winner.worktree, home)} switch ${winner.branch}, then fleet pick ${winner.branch} again`,
      });
    }
    winnerDirty = (await agentUnsavedWork(ctx, winner)).changes;
  } else if (!(await branchExists(ctx.run, repo.root, winner.branch))) {
    throw new FleetError(`"${winner.branch}" has neither a worktree nor a branch any more; there is nothing to land`, {
      hint: 'fleet prune drops its record',
    });
  }

  const others = winner.batch_id === null
    ? []
    : (await ctx.state.query({ repo: repo.root, batch: winner.batch_id })).filter((r) => r.branch !== winner.branch);
  const dirtyOthers = new Map<string, UnsavedSummary>();
  await Promise.all(
    others.map(async (r) => {
      // A worktree git cannot read is not called dirty here; ending it checks again and keeps it.
      const work = await agentUnsavedWork(ctx, r).catch(() => null);
      if (work && hasUnsavedWork(work)) dirtyOthers.set(r.branch, summarizeUnsaved(work));
    }),
  );
  return { repo, winner, strategy: req.strategy, message: req.message, into, intoTip, checkout, others, dirtyOthers, winnerDirty };
}

/**
 * Build the landing commit in a scratch worktree (detached, outside worktree_root) so that the
 * main checkout, the agents' worktrees and every branch stay untouched until it is known to
 * merge cleanly. Returns the commit `into` should move to.
 */
async function buildLanding(ctx: Context, plan: PickPlan, source: string): Promise<string> {
  const start = plan.strategy === 'rebase' ? source : plan.intoTip;
  return withScratchWorktree(ctx.run, plan.repo.root, start, async (scratch) => {
    let r;
    if (plan.strategy === 'merge') {
      r = await scratch.merge(source, plan.message ?? mergeMessage(plan.winner.branch, plan.into));
    } else if (plan.strategy === 'squash') {
      r = await scratch.squash(source);
      if (r.exitCode === 0) {
        if (!(await scratch.hasStaged())) throw nothingToLand(plan);
        const subjects = await commitSubjects(ctx.run, plan.repo.root, `${plan.intoTip}..${source}`);
        r = await scratch.commit(plan.message ?? squashMessage(plan.winner.branch, subjects));
      }
    } else {
      r = await scratch.rebase(plan.intoTip);
    }
    if (r.exitCode !== 0) {
      const conflicts = await scratch.conflicts();
      if (conflicts.length > 0) throw conflictError(plan, conflicts);
      throw gitFailure(`${plan.strategy} "${plan.winner.branch}" into "${plan.into}"`, new CommandError(['git', plan.strategy], r));
    }
    const landed = await scratch.head();
    if (!landed || landed === plan.intoTip) throw nothingToLand(plan);
    return landed;
  });
}

function conflictError(plan: PickPlan, paths: string[]): FleetError {
  const b = plan.winner.branch;
  return new FleetError(`"${b}" does not ${plan.strategy === 'rebase' ? 'rebase cleanly onto' : 'merge cleanly into'} "${plan.into}": conflict in ${listPaths(paths, 5)}; nothing was changed`, {
    hint: `ask the agent to fix it: fleet prompt ${b} "merge ${plan.into} and resolve the conflicts", then fleet pick ${b} again`,
  });
}

function nothingToLand(plan: PickPlan): FleetError {
  return new FleetError(`"${plan.winner.branch}" has nothing that "${plan.into}" does not already have; nothing was changed`, {
    hint: `fleet diff ${plan.winner.branch} shows its changes; fleet kill ${plan.winner.branch} ends it`,
  });
}

/**
 * Land the winner and end its batch. Until `into` moves, the only things written are git
 * objects nobody refers to and a scratch worktree that is removed again: a conflict, a failure
 * or Ctrl+C up to that point leaves every checkout, worktree, branch and agent as it was. The
 * winner's uncommitted work is committed as an object first and only put on its branch after
 * the landing.
 */
export async function executePick(ctx: Context, plan: PickPlan, opts: { signal?: AbortSignal; onStep?: (s: string) => void } = {}): Promise<PickResult> {
  const { winner } = plan;
  const checkAbort = () => {
    if (opts.signal?.aborted) throw new InterruptedError('interrupted; nothing was changed');
  };

  let source: string;
  let snapHead: string | null = null;
  let wip: PickResult['wip'] = null;
  let hostWork: string | null = null;
  if (winner.host) {
    opts.onStep?.(`fetching ${winner.branch} from host ${winner.host}`);
    const f = await fetchHostRefs(ctx, winner);
    source = f.branchCommit;
    hostWork = f.workCommit ?? f.branchCommit;
    if (f.workCommit) {
      // The same commit a local pick makes of uncommitted work: its tree, on the branch, fleet's message.
      const copied = new Set(winner.copied_files);
      const entries = plan.winnerDirty.filter((e) => !copied.has(e.path));
      let commit: string;
      try {
        commit = await commitTree(ctx.run, plan.repo.root, `${f.workCommit}^{tree}`, f.branchCommit, wipCommitMessage(winner.branch, entries));
      } catch (e) {
        throw gitFailure(`commit the uncommitted work of "${winner.branch}"`, e);
      }
      wip = { commit, files: entries.length, untracked: entries.filter((e) => e.code === '??').length };
      source = commit;
    }
  } else if (hasWorktree(winner)) {
    opts.onStep?.(`reading the worktree of ${winner.branch}`);
    const snap = await snapshot(ctx.run, winner.worktree, winner.copied_files);
    snapHead = snap.head;
    source = snap.head;
    if (snap.tree !== snap.headTree) {
      // What the snapshot holds: never the credential files fleet copied in, tracked or not.
      const copied = new Set(winner.copied_files);
      const entries = (await agentUnsavedWork(ctx, winner)).changes.filter((e) => !copied.has(e.path));
      let commit: string;
      try {
        commit = await commitTree(ctx.run, winner.worktree, snap.tree, snap.head, wipCommitMessage(winner.branch, entries));
      } catch (e) {
        throw gitFailure(`commit the uncommitted work of "${winner.branch}"`, e);
      }
      wip = { commit, files: entries.length, untracked: entries.filter((e) => e.code === '??').length };
      source = commit;
    }
  } else {
    source = (await resolveCommit(ctx.run, plan.repo.root, `refs/heads/${winner.branch}`))!;
  }
  checkAbort();

  opts.onStep?.(`${plan.strategy} ${winner.branch} into ${plan.into}`);
  const landed = await buildLanding(ctx, plan, source);
  checkAbort();

  // The one step that changes what the user sees. Both forms refuse unless `into` is still
  // where the plan found it, and change nothing when they refuse.
  opts.onStep?.(`moving ${plan.into}`);
  if (plan.checkout) {
    const r = await fastForward(ctx.run, plan.checkout, landed);
    if (r.exitCode !== 0) {
      throw new FleetError(withGitMessage(`could not move "${plan.into}" in the main checkout`, r.stderr || `git merge exited ${r.exitCode}`, '; nothing was changed'), {
        hint: `clear what git names above (an untracked file in the way, or ${plan.into} moved meanwhile), then fleet pick ${winner.branch} again`,
      });
    }
  } else {
    const r = await moveBranch(ctx.run, plan.repo.root, plan.into, landed, plan.intoTip, `fleet pick: ${plan.strategy} ${winner.branch}`);
    if (r.exitCode !== 0) {
      throw new FleetError(withGitMessage(`could not move "${plan.into}"`, r.stderr || `git update-ref exited ${r.exitCode}`, '; nothing was changed'), {
        hint: `"${plan.into}" probably moved meanwhile; fleet pick ${winner.branch} again`,
      });
    }
  }

  // Landed. From here on every step only tidies up, and a failure keeps what it could not end.
  const result: PickResult = { landed, wip, ended: [], kept: [], unmerged: [] };
  opts.onStep?.('ending the batch');
  if (hostWork !== null) await endHostWinner(ctx, plan, hostWork, result);
  else await endWinner(ctx, plan, { snapHead, wip }, result);
  for (const other of plan.others) {
    if (other.phase === 'creating') {
      result.kept.push({ branch: other.branch, reason: `"${other.branch}" is still being set up; left it alone`, hint: `fleet kill ${other.branch} once it is ready` });
      continue;
    }
    try {
      const k = await killAgent(ctx, other);
      result.ended.push(other.branch);
      if (k.unmergedCommits > 0) result.unmerged.push({ branch: other.branch, commits: k.unmergedCommits, base: other.base_commit });
    } catch (e) {
      const fe = toFleetError(e);
      result.kept.push({ branch: other.branch, reason: fe.message, hint: fe.hint ?? `fleet kill ${other.branch}` });
    }
  }
  return result;
}

/**
 * The winner on a host: its work is landed here (and kept as refs/fleet/remote/…), so it ends
 * like `fleet kill --force`, but only when, with its session ended, what its worktree holds is
 * still exactly what was landed; anything written since keeps worktree and record.
 */
async function endHostWinner(ctx: Context, plan: PickPlan, landedWork: string, result: PickResult): Promise<void> {
  const { winner } = plan;
  try {
    const [{ recordPlace }, { endHostProcesses }] = await Promise.all([import('../remote/host-place.js'), import('../remote/host-agent.js')]);
    await endHostProcesses(recordPlace(ctx, winner), { session: winner.session, worktree: winner.worktree });
    const now = await fetchHostWork(ctx, winner);
    if (now !== landedWork && (await treeOf(ctx.run, plan.repo.root, now)) !== (await treeOf(ctx.run, plan.repo.root, landedWork))) {
      throw new FleetError(`"${winner.branch}" changed its worktree on host "${winner.host}" after fleet read it; kept it`, {
        hint: `fleet diff ${winner.branch} shows what did not land; fleet kill ${winner.branch} --force to discard it`,
      });
    }
    await killAgent(ctx, winner, { force: true });
    result.ended.unshift(winner.branch);
  } catch (e) {
    const fe = toFleetError(e);
    result.kept.push({ branch: winner.branch, reason: fe.message, hint: fe.hint ?? `fleet kill ${winner.branch}` });
  }
}

/**
 * Put the winner's committed snapshot on its branch, then end it like `fleet kill`. Its session
 * ends first so nothing writes while the branch moves; anything written after the snapshot keeps
 * the worktree (and record) alive rather than being lost.
 */
async function endWinner(ctx: Context, plan: PickPlan, snap: { snapHead: string | null; wip: PickResult['wip'] }, result: PickResult): Promise<void> {
  const { winner } = plan;
  try {
    if (hasWorktree(winner) && snap.wip) {
      await endAgentProcesses(ctx, { session: winner.session, worktree: winner.worktree });
      const head = await resolveCommit(ctx.run, winner.worktree, 'HEAD');
      if (head !== snap.snapHead) {
        throw new FleetError(`"${winner.branch}" made a commit after fleet read its worktree; kept it`, {
          hint: `fleet diff ${winner.branch} shows what did not land; fleet kill ${winner.branch} when done`,
        });
      }
      // A mixed reset moves the branch onto the commit of the snapshot and makes the index match
      // it, so the worktree is clean unless the agent wrote something after the snapshot.
      await resetIndexTo(ctx.run, winner.worktree, snap.wip.commit);
      const left = (await agentUnsavedWork(ctx, winner)).changes.map((x) => x.path);
      const copied = new Set(winner.copied_files);
      if (left.length > 0 && left.every((p) => copied.has(p))) {
        // A credential file HEAD tracks, changed: the agent's edit, perhaps, but never committed by fleet.
        throw new FleetError(`"${winner.branch}" changed the credential ${left.length === 1 ? 'file' : 'files'} ${listPaths(left)}, which fleet never commits; kept the worktree`, {
          hint: `commit it in the worktree yourself if it belongs on the branch, or fleet kill ${winner.branch} --force to discard it`,
        });
      }
      if (left.length > 0) {
        throw new FleetError(`"${winner.branch}" changed ${listPaths(left)} after fleet read its worktree; kept the worktree`, {
          hint: `fleet diff ${winner.branch} shows what did not land; commit it, or fleet kill ${winner.branch} --force to discard it`,
        });
      }
    }
    await killAgent(ctx, winner);
    result.ended.unshift(winner.branch);
  } catch (e) {
    const fe = toFleetError(e);
    result.kept.push({ branch: winner.branch, reason: fe.message, hint: fe.hint ?? `fleet kill ${winner.branch}` });
  }
}
