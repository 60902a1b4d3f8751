import fs from 'node:fs';
import { parseStatusZ } from '../core/parse.js';
import type { Runner } from '../process/runner.js';

/** One line of `git status`: its two-letter code ("??" untracked, " M" modified, …) and path. */
export interface StatusEntry {
  code: string;
  path: string;
}

/**
 * Reads of a worktree must not write to it. `git status` refreshes the index's stat data and
 * writes it back when it can take the lock; --no-optional-locks turns that off, so a status
 * check never rewrites an agent's index under it.
 */
const READ_ONLY = ['--no-optional-locks'];

async function status(run: Runner, dir: string, untracked: 'all' | 'no'): Promise<StatusEntry[]> {
  const r = await run('git', [...READ_ONLY, 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`], { cwd: dir });
  return parseStatusZ(r.stdout);
}

/**
 * The one answer to "does this worktree hold unsaved work?": every changed, staged or untracked
 * path (ignored files left out), minus the credential files fleet copied in (`copied`) while
 * they are untracked; a tracked one that differs may be the agent's own edit, so it counts.
 * [] when the directory is gone. kill, prune and pick all decide with it.
 */
export async function dirtyPaths(run: Runner, worktree: string, copied: readonly string[] = []): Promise<StatusEntry[]> {
  if (!fs.existsSync(worktree)) return [];
  const fleetCopied = new Set(copied);
  return (await status(run, worktree, 'all')).filter((e) => !(e.code === '??' && fleetCopied.has(e.path)));
}

/** Tracked changes (staged or not) in a checkout; untracked files are not counted. */
export async function trackedChanges(run: Runner, dir: string): Promise<string[]> {
  return (await status(run, dir, 'no')).map((e) => e.path);
}
