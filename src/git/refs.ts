import { FleetError } from '../errors.js';
import type { RunResult, Runner } from '../process/runner.js';
import { withLockRetry } from './repo.js';

/** The commit a ref names (any commit-ish), or null. */
export async function resolveCommit(run: Runner, repo: string, ref: string): Promise<string | null> {
  const r = await run('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { cwd: repo, reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** Short name of the branch checked out in `worktree`, or null when detached. */
export async function currentBranch(run: Runner, worktree: string): Promise<string | null> {
  const r = await run('git', ['symbolic-ref', '--short', '-q', 'HEAD'], { cwd: worktree, reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

export async function branchExists(run: Runner, repo: string, branch: string): Promise<boolean> {
  const r = await run('git', ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repo, reject: false });
  return r.exitCode === 0;
}

/** Delete a branch; without force git refuses one that is not merged. */
export async function deleteBranch(run: Runner, repo: string, branch: string, force: boolean): Promise<void> {
  await withLockRetry(() => run('git', ['branch', force ? '-D' : '-d', '--', branch], { cwd: repo }));
}

/** Commits on `branch` that `base` does not have (0 when either cannot be read). */
export async function commitsAhead(run: Runner, repo: string, base: string, branch: string): Promise<number> {
  const r = await run('git', ['rev-list', '--count', `${base}..refs/heads/${branch}`], { cwd: repo, reject: false });
  return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
}

/** Is `ancestor` contained in `descendant` (both commit-ish)? */
export async function isAncestor(run: Runner, repo: string, ancestor: string, descendant: string): Promise<boolean> {
  const r = await run('git', ['merge-base', '--is-ancestor', ancestor, descendant], { cwd: repo, reject: false });
  return r.exitCode === 0;
}

/** The best common ancestor of two commit-ish, or null when they share none. */
export async function mergeBase(run: Runner, repo: string, a: string, b: string): Promise<string | null> {
  const r = await run('git', ['merge-base', a, b], { cwd: repo, reject: false });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** Subjects of the commits in `range` (`a..b`), oldest first. */
export async function commitSubjects(run: Runner, repo: string, range: string): Promise<string[]> {
  const r = await run('git', ['log', '--reverse', '--format=%s', range], { cwd: repo });
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Move `refs/heads/<branch>` to `to`, only if it still points at `from`; git changes nothing when
 * it refuses. The result says how it went (exit code and git's reason).
 */
export function moveBranch(run: Runner, repo: string, branch: string, to: string, from: string, reason: string): Promise<RunResult> {
  return run('git', ['update-ref', '-m', reason, `refs/heads/${branch}`, to, from], { cwd: repo, reject: false });
}

/**
 * Fast-forward the branch checked out in `checkout` to `commit`, files and index with it; git
 * refuses (and changes nothing) unless it is a fast-forward that overwrites no local change.
 */
export function fastForward(run: Runner, checkout: string, commit: string): Promise<RunResult> {
  return run('git', ['merge', '--ff-only', '--quiet', commit], { cwd: checkout, reject: false });
}

/** Point the worktree's branch at `commit` and make the index match it; files are left as they are (a mixed reset). */
export async function resetIndexTo(run: Runner, worktree: string, commit: string): Promise<void> {
  await run('git', ['reset', '--quiet', commit], { cwd: worktree });
}

/**
 * Keep `commit` reachable under a new ref `<prefix>-<time>` (a suffix when that name is taken
 * in the same second): git's gc and the removal of a worktree never drop what a ref holds.
 * Returns the ref made.
 */
export async function pinCommit(run: Runner, repo: string, prefix: string, commit: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let i = 1; ; i++) {
    const ref = `${prefix}-${stamp}${i === 1 ? '' : `-${i}`}`;
    // The empty old value: only when the ref does not exist yet (never move someone else's).
    const r = await run('git', ['update-ref', '-m', 'fleet: rescued commits of a removed worktree', ref, commit, ''], { cwd: repo, reject: false });
    if (r.exitCode === 0) return ref;
    if (i >= 20 || !/exists|unable to lock|reference already/i.test(r.stderr)) {
      throw new FleetError(`could not keep commit ${commit.slice(0, 7)} under ${ref}: ${r.stderr.trim() || `git update-ref exited ${r.exitCode}`}`);
    }
  }
}

/** The tree a commit-ish points at. */
export async function treeOf(run: Runner, repo: string, commit: string): Promise<string> {
  return (await run('git', ['rev-parse', '--end-of-options', `${commit}^{tree}`], { cwd: repo })).stdout.trim();
}

/** Every local branch's short name. */
export async function localBranches(run: Runner, repo: string): Promise<string[]> {
  const r = await run('git', ['for-each-ref', '--format=%(refname:lstrip=2)', 'refs/heads/'], { cwd: repo });
  return r.stdout.split('\n').filter(Boolean);
}

/** Commits reachable from `to` but not from `from` (0 when either cannot be read). */
export async function countCommits(run: Runner, repo: string, from: string, to: string): Promise<number> {
  const r = await run('git', ['rev-list', '--count', `${from}..${to}`], { cwd: repo, reject: false });
  return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
}
