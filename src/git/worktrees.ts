import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { isInside } from '../core/names.js';
import { parseWorktreePorcelain, type WorktreeEntry } from '../core/parse.js';
import { CommandError, type Runner } from '../process/runner.js';
import { branchExists } from './refs.js';
import { realpath, withLockRetry } from './repo.js';

/** Every worktree of the repository, the main checkout first (`git worktree list --porcelain`). */
export async function listWorktrees(run: Runner, repo: string): Promise<WorktreeEntry[]> {
  const r = await withLockRetry(() => run('git', ['worktree', 'list', '--porcelain'], { cwd: repo }));
  return parseWorktreePorcelain(r.stdout);
}

export interface AddWorktree {
  dir: string;
  branch: string;
  /** Make `branch` from `base` (else check out the existing branch). */
  newBranch: boolean;
  base: string;
}

/**
 * Create a worktree at `dir`: on a new branch from `base`, or on an existing branch.
 * A half-made attempt is cleaned up (`-b` creates the branch before the worktree, and a git
 * that dies half-way leaves both), then retried when it failed on git lock contention.
 */
export async function addWorktree(run: Runner, repo: string, opts: AddWorktree): Promise<void> {
  fs.mkdirSync(path.dirname(opts.dir), { recursive: true });
  const args = opts.newBranch
    ? ['worktree', 'add', '--quiet', '-b', opts.branch, '--', opts.dir, opts.base]
    : ['worktree', 'add', '--quiet', '--', opts.dir, opts.branch];
  await withLockRetry(async () => {
    try {
      await run('git', args, { cwd: repo });
    } catch (e) {
      // "already exists" (the branch, or the directory): git made nothing, and what is there is not ours.
      // The clean-up must not replace git's own error with its own (ENAMETOOLONG on a path git refused).
      if (!(e instanceof CommandError && /already exists/i.test(e.result.stderr))) await undoPartialAdd(run, repo, opts).catch(() => undefined);
      throw e;
    }
  }, 10);
}

async function undoPartialAdd(run: Runner, repo: string, opts: AddWorktree): Promise<void> {
  const dir = realpath(opts.dir);
  const registered = (await listWorktrees(run, repo).catch(() => [])).some((w) => w.path === opts.dir || w.path === dir);
  if (registered) {
    await withLockRetry(() => run('git', ['worktree', 'remove', '--force', '--force', '--', opts.dir], { cwd: repo })).catch(() => undefined);
  }
  try {
    fs.rmSync(opts.dir, { recursive: true, force: true });
  } catch {
    // A path git could not make either (ENAMETOOLONG): there is nothing of ours there.
  }
  if (opts.newBranch && (await branchExists(run, repo, opts.branch))) {
    await withLockRetry(() => run('git', ['branch', '-D', '--', opts.branch], { cwd: repo })).catch(() => undefined);
  }
}

/**
 * Remove a worktree. Refuses the main worktree and anything outside `worktreeRoot`; the
 * caller decides about uncommitted work (see dirtyPaths) and passes force after checking.
 */
/** One `git worktree add` of a new branch from `start` (no retry, no undo: the caller's). */
export async function addBranchWorktree(run: Runner, repo: string, opts: { dir: string; branch: string; start: string }): Promise<void> {
  await run('git', ['worktree', 'add', '--quiet', '-b', opts.branch, '--', opts.dir, opts.start], { cwd: repo });
}

/** Forget worktrees whose directories are gone (git worktree prune); never fails. */
export async function pruneWorktrees(run: Runner, repo: string): Promise<void> {
  await run('git', ['worktree', 'prune'], { cwd: repo, reject: false });
}

export async function removeWorktree(run: Runner, repo: string, dir: string, opts: { worktreeRoot: string; force: boolean }): Promise<void> {
  if (realpath(dir) === realpath(repo)) throw new FleetError(`refusing to remove the main worktree ${dir}`);
  if (!isInside(realpath(opts.worktreeRoot), realpath(dir))) {
    throw new FleetError(`refusing to remove ${dir}: it is outside worktree_root (${opts.worktreeRoot})`);
  }
  const registered = (await listWorktrees(run, repo)).some((w) => w.path === dir || w.path === realpath(dir));
  if (registered) {
    const args = ['worktree', 'remove', ...(opts.force ? ['--force', '--force'] : []), '--', dir];
    await withLockRetry(() => run('git', args, { cwd: repo }));
  } else if (fs.existsSync(dir)) {
    // Not a worktree git knows of (a leftover directory): only removed when forced.
    if (!opts.force) throw new FleetError(`${dir} is not a registered worktree; not removing it`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  removeEmptyParents(path.dirname(dir), opts.worktreeRoot);
}

/** Remove now-empty directories between `dir` and `stop` (branch names with "/" nest). */
function removeEmptyParents(dir: string, stop: string): void {
  let d = dir;
  while (isInside(stop, d) && path.resolve(d) !== path.resolve(stop)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
    d = path.dirname(d);
  }
}
