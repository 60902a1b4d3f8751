import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResult, Runner } from '../process/runner.js';
import { resolveCommit } from './refs.js';
import { withLockRetry } from './repo.js';

/** git settings for fleet's own scratch work: no user hooks in a throwaway checkout, no auto-gc. */
const SCRATCH = ['-c', 'core.hooksPath=/dev/null', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'rebase.updateRefs=false'];

/**
 * A detached checkout outside every worktree root, for building commits without touching the
 * user's checkouts or branches. Each step reports how it went (exit code and git's message)
 * rather than throwing: a conflict is an answer, not a crash.
 */
export interface ScratchWorktree {
  dir: string;
  /** A merge commit of `source` with `message`. */
  merge(source: string, message: string): Promise<RunResult>;
  /** Stage what merging `source` would change, without committing. */
  squash(source: string): Promise<RunResult>;
  /** Is anything staged? */
  hasStaged(): Promise<boolean>;
  commit(message: string): Promise<RunResult>;
  /** Replay the checked-out commits on top of `onto`. */
  rebase(onto: string): Promise<RunResult>;
  /** Paths left conflicted by the last merge or rebase. */
  conflicts(): Promise<string[]>;
  /** The commit checked out now ("" when it cannot be read). */
  head(): Promise<string>;
}

/** Run `fn` in a scratch worktree of `repo` detached at `start`; the worktree is removed afterwards, however `fn` ends. */
export async function withScratchWorktree<T>(run: Runner, repo: string, start: string, fn: (s: ScratchWorktree) => Promise<T>): Promise<T> {
  // The pid in the name lets fleet prune tell a live pick's checkout from one a killed fleet left.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-pick-${process.pid}-`));
  const git = (args: string[], opts: { input?: string } = {}) => run('git', [...SCRATCH, ...args], { cwd: dir, reject: false, ...opts });
  const scratch: ScratchWorktree = {
    dir,
    merge: (source, message) => git(['merge', '--no-ff', '--no-edit', '-m', message, source]),
    squash: (source) => git(['merge', '--squash', source]),
    hasStaged: async () => (await git(['diff', '--cached', '--quiet'])).exitCode !== 0,
    commit: (message) => git(['commit', '--quiet', '-F', '-'], { input: message }),
    rebase: (onto) => git(['rebase', '--quiet', onto]),
    conflicts: async () => (await git(['diff', '--name-only', '--diff-filter=U', '-z'])).stdout.split('\0').filter(Boolean),
    head: async () => (await resolveCommit(run, dir, 'HEAD')) ?? '',
  };
  try {
    await withLockRetry(() => run('git', [...SCRATCH, 'worktree', 'add', '--detach', '--quiet', dir, start], { cwd: repo }));
    return await fn(scratch);
  } finally {
    await run('git', ['worktree', 'remove', '--force', '--force', dir], { cwd: repo, reject: false });
    fs.rmSync(dir, { recursive: true, force: true });
    await run('git', ['worktree', 'prune'], { cwd: repo, reject: false });
  }
}
