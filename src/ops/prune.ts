import fs from 'node:fs';
import type { Context, RepoContext } from '../context.js';
import { toFleetError } from '../errors.js';
import { planPrune, type PrunePlan } from '../core/prune-plan.js';
import { reconcile } from '../core/reconcile.js';
import { branchExists, commitsAhead, deleteBranch, resolveCommit } from '../git/refs.js';
import { realpath } from '../git/repo.js';
import { dirtyPaths } from '../git/status.js';
import { listWorktrees, removeWorktree } from '../git/worktrees.js';
import { pidAlive } from '../process/pids.js';
import { recordUnrecorded } from '../state/owner.js';
import type { AgentRecord } from '../state/types.js';
import { listPanes } from '../tmux/sessions.js';
import { endAgentProcesses } from './end-agent.js';
import { killAgent, uncommittedWork } from './kill-agent.js';
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
  paths: string[];
  hint: string | null;
}

export interface PruneReport {
  dryRun: boolean;
  actions: PruneAction[];
  kept: PruneKept[];
  /** Branches with commits their base lacks, kept: named so nobody forgets they exist. */
  unmerged: { branch: string; commits: number; range: string }[];
}

/** Read state, tmux (one call) and git (one call), and work out what prune would clean. */
export async function gatherPrunePlan(ctx: RepoContext): Promise<PrunePlan> {
  const records = await ctx.state.read();
  const [panes, worktrees] = await Promise.all([listPanes(ctx.run), listWorktrees(ctx.run, ctx.repo.root)]);
  const views = reconcile(recordsOfRepo(records, ctx.repo), panes, { now: Date.now(), idleSeconds: ctx.config.idle_seconds, pidAlive });
  return planPrune({
    leftovers: findLeftovers(ctx, worktrees),
    repo: ctx.repo,
    views,
    allRecords: records,
    panes,
    worktrees,
    worktreeRoot: ctx.config.worktree_root,
    prefix: ctx.config.tmux_prefix,
    realpath,
  });
}

/**
 * Carry out a plan: records (through killAgent, which refuses uncommitted work), then orphan
 * sessions, then orphan worktrees (checked for uncommitted work after their session has
 * ended), then git's entries for worktree directories that are gone. With dryRun, the same
 * checks and nothing changed. One item failing does not stop the others.
 */
export async function executePrune(ctx: RepoContext, plan: PrunePlan, opts: { dryRun: boolean }): Promise<PruneReport> {
  const report: PruneReport = { dryRun: opts.dryRun, actions: [], kept: [], unmerged: [] };
  const act = (a: PruneAction) => report.actions.push(a);
  const noteUnmerged = (branch: string, commits: number, base: string) => {
    if (commits > 0) report.unmerged.push({ branch, commits, range: `${base}..${branch}` });
  };
  // An agent whose fleet died just before recording it ready is running, not a failed set-up: say so in state.
  if (!opts.dryRun) await recordUnrecorded(ctx.state, plan.views);

  for (const { record, reason } of plan.records) {
    const why = reason === 'missing' ? 'its session is gone' : 'its set-up never finished';
    const dirty = await uncommittedWork(ctx, record);
    if (dirty.length > 0) {
      report.kept.push({
        target: record.worktree,
        branch: record.branch,
        why: 'uncommitted changes',
        paths: dirty,
        hint: `commit them in the worktree, or fleet kill ${record.branch} --force to discard them`,
      });
      continue;
    }
    const hasWorktree = fs.existsSync(record.worktree);
    if (opts.dryRun) {
      act({ kind: 'record', target: record.branch, detail: `${why}${hasWorktree ? '; its clean worktree goes too' : ''}` });
      if (record.base_commit && (await branchExists(ctx.run, record.repo, record.branch))) {
        noteUnmerged(record.branch, await commitsAhead(ctx.run, record.repo, record.base_commit, record.branch), record.base_commit.slice(0, 7));
      }
      if (await isUntouchedFailedBranch(ctx, record, reason)) act({ kind: 'branch', target: record.branch, detail: 'made by the failed set-up, no commits of its own' });
      continue;
    }
    try {
      const dropBranch = await isUntouchedFailedBranch(ctx, record, reason);
      const r = await killAgent(ctx, record, {});
      act({ kind: 'record', target: record.branch, detail: `${why}${r.worktreeRemoved ? '; its clean worktree removed' : ''}` });
      if (dropBranch) {
        await deleteBranch(ctx.run, record.repo, record.branch, true);
        act({ kind: 'branch', target: record.branch, detail: 'made by the failed set-up, no commits of its own' });
      } else {
        noteUnmerged(record.branch, r.unmergedCommits, record.base_commit.slice(0, 7));
      }
    } catch (e) {
      const fe = toFleetError(e);
      report.kept.push({ target: record.worktree, branch: record.branch, why: fe.message, paths: [], hint: fe.hint ?? null });
    }
  }

  for (const s of plan.sessions) {
    const detail = s.alive ? 'no record; its program was still running' : 'no record';
    // The whole tree of its panes, not only what a hang-up ends (its worktree, if any, is checked below).
    if (!opts.dryRun && !(await endAgentProcesses(ctx, { session: s.name, worktree: null })).sessionKilled) continue; // already gone
    act({ kind: 'session', target: s.name, detail });
  }

  for (const w of plan.worktrees) {
    try {
      const dirty = (await dirtyPaths(ctx.run, w.path)).map((e) => e.path);
      if (dirty.length > 0) {
        report.kept.push({
          target: w.path,
          branch: w.branch,
          why: 'uncommitted changes',
          paths: dirty,
          hint: `commit them in the worktree, or git worktree remove --force ${w.path} to discard them`,
        });
        continue;
      }
      if (!opts.dryRun) {
        await endAgentProcesses(ctx, { session: null, worktree: w.path });
        await removeWorktree(ctx.run, ctx.repo.root, w.path, { worktreeRoot: ctx.config.worktree_root, force: true });
      }
      act({ kind: 'worktree', target: w.path, detail: 'no record; clean' });
      if (w.branch) noteUnmerged(w.branch, await commitsAhead(ctx.run, ctx.repo.root, 'HEAD', w.branch), 'HEAD');
    } catch (e) {
      report.kept.push({ target: w.path, branch: w.branch, why: toFleetError(e).message, paths: [], hint: null });
    }
  }

  for (const w of plan.stale) {
    try {
      if (!opts.dryRun) await removeWorktree(ctx.run, ctx.repo.root, w.path, { worktreeRoot: ctx.config.worktree_root, force: true });
      act({ kind: 'stale-worktree', target: w.path, detail: 'its directory is gone' });
    } catch (e) {
      report.kept.push({ target: w.path, branch: w.branch, why: toFleetError(e).message, paths: [], hint: null });
    }
  }

  for (const l of plan.leftovers) {
    try {
      if (!opts.dryRun) await removeLeftover(ctx, l);
      act({ kind: 'leftover', target: l.path, detail: describeLeftover(l) });
    } catch (e) {
      report.kept.push({ target: l.path, branch: null, why: toFleetError(e).message, paths: [], hint: null });
    }
  }

  for (const s of plan.skipped) report.kept.push({ target: s.path, branch: null, why: s.why, paths: [], hint: null });
  return report;
}

/**
 * A branch fleet made for a set-up that then died, still exactly at its base commit: removing
 * it is what the set-up's own rollback would have done, and it holds nothing.
 */
async function isUntouchedFailedBranch(ctx: Context, record: AgentRecord, reason: 'missing' | 'setup-failed'): Promise<boolean> {
  if (reason !== 'setup-failed' || !record.created_branch || !record.base_commit) return false;
  const tip = await resolveCommit(ctx.run, record.repo, `refs/heads/${record.branch}`);
  return tip === record.base_commit;
}
