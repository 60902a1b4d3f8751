import fs from 'node:fs';
import { FleetError } from '../errors.js';
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

/** Which of `paths` (relative to `repo`) git ignores, in their order; no call for none. */
export async function ignoredPaths(run: Runner, repo: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  // Exit 0: some are ignored (listed on stdout); 1: none is; 128: git failed.
  const r = await run('git', ['check-ignore', '--', ...paths], { cwd: repo, reject: false });
  if (r.exitCode === 1) return [];
  if (r.exitCode !== 0) throw new FleetError(`git check-ignore failed: ${r.stderr.trim() || `exit code ${r.exitCode}`}`);
  const listed = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return paths.filter((f) => listed.has(f));
}
