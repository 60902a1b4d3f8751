import fs from 'node:fs';
import type { Context, RepoContext } from '../context.js';
import { toFleetError, UncommittedWorkError } from '../errors.js';
import { tildify } from '../core/format.js';
import { planPrune, type PrunePlan, type PruneReason } from '../core/prune-plan.js';
import { describeUnsaved, saveUnsavedHint } from '../core/unsaved.js';
import { reconcile } from '../core/reconcile.js';
import { branchExists, commitsAhead, deleteBranch, resolveCommit } from '../git/refs.js';
import { realpath } from '../git/repo.js';
import { commitsOnNoBranch, hasUnsavedWork, unsavedWork, type UnsavedWork } from '../git/status.js';
import { listWorktrees, removeWorktree } from '../git/worktrees.js';
import { pidAlive } from '../process/pids.js';
import { recordUnrecorded } from '../state/owner.js';
import type { AgentRecord } from '../state/types.js';
import { listPanes } from '../tmux/sessions.js';
import { endAgentProcesses } from './end-agent.js';
import { AgentChangedError, agentUnsavedWork, killAgent, summarizeUnsaved } from './kill-agent.js';
import { recordsOfRepo } from './find.js';
import { describeLeftover, findLeftovers, removeLeftover } from './leftovers.js';

/** One thing prune did (or, with dryRun, would do). */
export interface PruneAction {
  kind: 'record' | 'session' | 'worktree' | 'stale-worktree' | 'branch' | 'leftover';
  /** Branch, session name or worktree path. */
  target: string;
  detail: string;
}

/** Something prune left alone, and the command that would remove it. */
export interface PruneKept {
  target: string;
  branch: string | null;
  why: string;
  /** Uncommitted changes that kept it. */
  paths: string[];
  /** Commits only its detached HEAD holds, that kept it. */
  commits: string[];
  hint: string | null;
}

export interface PruneReport {
  dryRun: boolean;
  actions: PruneAction[];
  kept: PruneKept[];
  /** Branches with commits their base lacks, kept: named so nobody forgets they exist. */
  unmerged: { branch: string; commits: number; range: string }[];
}

/**
 * Read state, tmux (one call) and git (one call), and work out what prune would clean. State is
 * read before tmux and git (a record's session must be looked for after the record was seen, or
 * an agent that just became ready reads as missing) and again after them (whatever tmux or git
 * shows was claimed before it was made, so a brand-new agent is never taken for an orphan).
 */
export async function gatherPrunePlan(ctx: RepoContext): Promise<PrunePlan> {
  const before = await ctx.state.read();
  const mine = recordsOfRepo(before, ctx.repo);
  // Agents on hosts are looked at there (one ssh call per host); a host that does not answer
  // leaves its agents alone (unreachable is nothing prune removes), never "gone".
  const remote = mine.filter((r) => r.host);
  const onHosts = remote.length > 0 ? import('./list-hosts.js').then((m) => m.hostViews(ctx, remote)) : Promise.resolve([]);
  const [panes, worktrees, hostViews] = await Promise.all([listPanes(ctx.run), listWorktrees(ctx.run, ctx.repo.root), onHosts]);
  const after = await ctx.state.read();
  const views = [
    ...reconcile(mine.filter((r) => !r.host), panes, {
      now: Date.now(),
      idleSeconds: ctx.config.idle_seconds,
      pidAlive,
      worktreeExists: (dir) => fs.existsSync(dir),
    }),
    ...hostViews,
  ];
  return planPrune({
    leftovers: findLeftovers(ctx, worktrees),
    repo: ctx.repo,
    views,
    allRecords: [...before, ...after],
    panes,
    worktrees,
    worktreeRoot: ctx.config.worktree_root,
    prefix: ctx.config.tmux_prefix,
    realpath,
  });
}

const WHY: Record<PruneReason, string> = {
  missing: 'its session is gone',
  'worktree-missing': 'its worktree directory is gone',
  'setup-failed': 'its set-up never finished',
};

/**
 * Run `fn` holding the state lock and leave the records as they are: no `fleet create` can
 * claim a branch, session or worktree while `fn` looks at the records and removes something.
 */
async function underStateLock<T>(ctx: Context, fn: (agents: readonly AgentRecord[]) => Promise<T>): Promise<T> {
  let out: T | undefined;
  await ctx.state.update(async (agents) => {
    out = await fn(agents);
    return agents;
  });
  return out as T;
}

/**
 * Carry out a plan: records (through killAgent, which refuses unsaved work), then orphan
 * sessions, then orphan worktrees (checked for unsaved work after their session has ended),
 * then git's entries for worktree directories that are gone. Each removal happens under the
 * state lock and only if what it removes is still what the plan saw: the same record, or a
 * session or worktree that no record claims (a create may have started since the plan). With
 * dryRun, the same checks and nothing changed. One item failing does not stop the others.
 */
export async function executePrune(ctx: RepoContext, plan: PrunePlan, opts: { dryRun: boolean }): Promise<PruneReport> {
  const report: PruneReport = { dryRun: opts.dryRun, actions: [], kept: [], unmerged: [] };
  const act = (a: PruneAction) => report.actions.push(a);
  const noteUnmerged = (branch: string, commits: number, base: string) => {
    if (commits > 0) report.unmerged.push({ branch, commits, range: `${base}..${branch}` });
  };
  const keepUnsaved = (target: string, branch: string | null, work: UnsavedWork, discard: string | null) => {
    const s = summarizeUnsaved(work);
    const where = tildify(target, ctx.env.HOME);
    report.kept.push({ target, branch, why: describeUnsaved(s), paths: [...s.paths], commits: [...s.commits], hint: saveUnsavedHint(s, where, discard) });
  };
  // An agent whose fleet died just before recording it ready is running, not a failed set-up: say so in state.
  if (!opts.dryRun) await recordUnrecorded(ctx.state, plan.views);

  for (const { record, reason } of plan.records) {
    const why = WHY[reason];
    if (opts.dryRun) {
      try {
        const work = await agentUnsavedWork(ctx, record);
        if (hasUnsavedWork(work)) {
          keepUnsaved(record.worktree, record.branch, work, `fleet kill ${record.branch} --force`);
          continue;
        }
      } catch (e) {
        report.kept.push({ target: record.worktree, branch: record.branch, why: toFleetError(e).message, paths: [], commits: [], hint: null });
        continue;
      }
      const hasWorktree = !record.host && fs.existsSync(record.worktree);
      act({ kind: 'record', target: record.branch, detail: `${why}${hasWorktree ? '; its clean worktree goes too' : ''}` });
      if (record.base_commit && (await branchExists(ctx.run, record.repo, record.branch))) {
        noteUnmerged(record.branch, await commitsAhead(ctx.run, record.repo, record.base_commit, record.branch), record.base_commit.slice(0, 7));
      }
      if (await isUntouchedFailedBranch(ctx, record, reason)) act({ kind: 'branch', target: record.branch, detail: 'made by the failed set-up, no commits of its own' });
      continue;
    }
    try {
      const dropBranch = await isUntouchedFailedBranch(ctx, record, reason);
      // killAgent refuses unsaved work (before anything and again once the session is gone).
      const r = await killAgent(ctx, record, { onlyIfUnchanged: true });
      act({ kind: 'record', target: record.branch, detail: `${why}${r.worktreeRemoved ? '; its clean worktree removed' : ''}` });
      if (dropBranch) {
        await deleteBranch(ctx.run, record.repo, record.branch, true);
        act({ kind: 'branch', target: record.branch, detail: 'made by the failed set-up, no commits of its own' });
      } else {
        noteUnmerged(record.branch, r.unmergedCommits, record.base_commit.slice(0, 7));
      }
    } catch (e) {
      if (e instanceof AgentChangedError) continue; // not the agent the plan saw: not prune's to touch
      const fe = toFleetError(e);
      if (e instanceof UncommittedWorkError) {
        const s = { paths: e.paths, commits: e.commits };
        report.kept.push({ target: record.worktree, branch: record.branch, why: describeUnsaved(s), paths: [...e.paths], commits: [...e.commits], hint: fe.hint ?? null });
      } else {
        report.kept.push({ target: record.worktree, branch: record.branch, why: fe.message, paths: [], commits: [], hint: fe.hint ?? null });
      }
    }
  }

  for (const s of plan.sessions) {
    const detail = s.alive ? 'no record; its program was still running' : 'no record';
    if (!opts.dryRun) {
      const ended = await underStateLock(ctx, async (agents) => {
        if (agents.some((a) => a.session === s.name)) return false; // claimed since the plan: an agent's now
        // The whole tree of its panes, not only what a hang-up ends (its worktree, if any, is checked below).
        return (await endAgentProcesses(ctx, { session: s.name, worktree: null })).sessionKilled;
      });
      if (!ended) continue; // already gone, or no orphan any more
    }
    act({ kind: 'session', target: s.name, detail });
  }

  const claims = (agents: readonly AgentRecord[], dir: string) => agents.some((a) => a.worktree !== '' && realpath(a.worktree) === realpath(dir));
  for (const w of plan.worktrees) {
    try {
      const check = async (): Promise<'kept' | 'claimed' | 'clean'> => {
        const work = await unsavedWork(ctx.run, w.path);
        if (!hasUnsavedWork(work)) return 'clean';
        const discard = work.commits.length > 0 ? null : `git worktree remove --force ${w.path}`;
        keepUnsaved(w.path, w.branch, work, discard);
        return 'kept';
      };
      const outcome = opts.dryRun
        ? await check()
        : await underStateLock(ctx, async (agents) => {
            if (claims(agents, w.path)) return 'claimed' as const;
            const c = await check();
            if (c === 'clean') {
              await endAgentProcesses(ctx, { session: null, worktree: w.path });
              await removeWorktree(ctx.run, ctx.repo.root, w.path, { worktreeRoot: ctx.config.worktree_root, force: true });
            }
            return c;
          });
      if (outcome !== 'clean') continue;
      act({ kind: 'worktree', target: w.path, detail: 'no record; clean' });
      if (w.branch) noteUnmerged(w.branch, await commitsAhead(ctx.run, ctx.repo.root, 'HEAD', w.branch), 'HEAD');
    } catch (e) {
      report.kept.push({ target: w.path, branch: w.branch, why: toFleetError(e).message, paths: [], commits: [], hint: null });
    }
  }

  for (const w of plan.stale) {
    try {
      // git keeps a detached HEAD's commits alive through its entry for the worktree; so do we.
      const commits = w.detachedHead ? await commitsOnNoBranch(ctx.run, ctx.repo.root, w.detachedHead) : [];
      if (commits.length > 0) {
        report.kept.push({
          target: w.path,
          branch: w.branch,
          why: `its directory is gone, but git's entry for it holds ${describeUnsaved({ paths: [], commits })}`,
          paths: [],
          commits,
          hint: `git branch <name> ${commits[0]!.slice(0, 7)} saves ${commits.length === 1 ? 'it' : 'them'}, then fleet prune again`,
        });
        continue;
      }
      if (!opts.dryRun) await removeWorktree(ctx.run, ctx.repo.root, w.path, { worktreeRoot: ctx.config.worktree_root, force: true });
      act({ kind: 'stale-worktree', target: w.path, detail: 'its directory is gone' });
    } catch (e) {
      report.kept.push({ target: w.path, branch: w.branch, why: toFleetError(e).message, paths: [], commits: [], hint: null });
    }
  }

  for (const l of plan.leftovers) {
    try {
      if (!opts.dryRun) await removeLeftover(ctx, l);
      act({ kind: 'leftover', target: l.path, detail: describeLeftover(l) });
    } catch (e) {
      report.kept.push({ target: l.path, branch: null, why: toFleetError(e).message, paths: [], commits: [], hint: null });
    }
  }

  for (const s of plan.skipped) report.kept.push({ target: s.path, branch: null, why: s.why, paths: [], commits: [], hint: null });
  return report;
}

/**
 * A branch fleet made for a set-up that then died, still exactly at its base commit: removing
 * it is what the set-up's own rollback would have done, and it holds nothing.
 */
async function isUntouchedFailedBranch(ctx: Context, record: AgentRecord, reason: PruneReason): Promise<boolean> {
  // On a host the branch is in the host's clone, not here: a local branch of that name is not the set-up's.
  if (reason !== 'setup-failed' || !record.created_branch || !record.base_commit || record.host) return false;
  const tip = await resolveCommit(ctx.run, record.repo, `refs/heads/${record.branch}`);
  return tip === record.base_commit;
}
