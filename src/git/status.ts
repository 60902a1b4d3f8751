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

/** What `git status -z --branch` says of HEAD when it is on no branch. */
const DETACHED_HEADER = '## HEAD (no branch)';

async function status(run: Runner, dir: string, untracked: 'all' | 'no'): Promise<StatusEntry[]> {
  const r = await run('git', [...READ_ONLY, 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`], { cwd: dir });
  return parseStatusZ(r.stdout);
}

/** What removing a worktree would lose. */
export interface UnsavedWork {
  /**
   * Changed, staged and untracked paths. Left out: ignored files, and the credential files fleet
   * copied in unless HEAD tracks them (a tracked one that differs may be the agent's own edit).
   */
  changes: StatusEntry[];
  /**
   * Commits only a detached HEAD holds: no branch, tag or remote-tracking branch contains them,
   * so they are gone with the worktree. Full ids, newest first (the first is HEAD); [] when
   * HEAD is on a branch, which keeps its commits.
   */
  commits: string[];
}

export function hasUnsavedWork(w: UnsavedWork): boolean {
  return w.changes.length > 0 || w.commits.length > 0;
}

/**
 * The one answer to "does this worktree hold unsaved work?", for kill, prune and pick: one
 * `git status`, plus one `git rev-list` when HEAD is detached. Nothing when the directory is
 * gone. A credential file fleet copied in (`copied`) is never the agent's work while HEAD does
 * not track it, whether git sees it as untracked, ignored or staged.
 */
export async function unsavedWork(run: Runner, worktree: string, copied: readonly string[] = []): Promise<UnsavedWork> {
  if (!fs.existsSync(worktree)) return { changes: [], commits: [] };
  const r = await run('git', UNSAVED_STATUS_ARGS, { cwd: worktree });
  const { changes, detached } = parseUnsavedStatus(r.stdout, copied);
  const commits = detached ? await commitsOnNoBranch(run, worktree, 'HEAD') : [];
  return { changes, commits };
}

/** The `git status` unsavedWork reads (the same on a host). */
export const UNSAVED_STATUS_ARGS = [...READ_ONLY, 'status', '--porcelain=v1', '-z', '--branch', '--untracked-files=all'];

/** That status's changes (the copied credential files left out as unsavedWork says) and whether HEAD is detached. Pure. */
export function parseUnsavedStatus(stdout: string, copied: readonly string[]): { changes: StatusEntry[]; detached: boolean } {
  // The first record is the branch header ("## main", "## HEAD (no branch)").
  const end = stdout.startsWith('## ') ? stdout.indexOf('\0') : -1;
  const header = end === -1 ? '' : stdout.slice(0, end);
  const fleetCopied = new Set(copied);
  const untrackedInHead = (e: StatusEntry) => e.code === '??' || e.code[0] === 'A';
  const changes = parseStatusZ(stdout.slice(end + 1)).filter((e) => !(fleetCopied.has(e.path) && untrackedInHead(e)));
  return { changes, detached: header === DETACHED_HEADER };
}

/**
 * Commits reachable from `rev` that no branch, tag or remote-tracking branch contains, newest
 * first (children before parents, so `rev` itself leads when it is one of them).
 */
export async function commitsOnNoBranch(run: Runner, cwd: string, rev: string): Promise<string[]> {
  const r = await run('git', ['rev-list', '--topo-order', rev, '--not', '--branches', '--tags', '--remotes'], { cwd });
  return r.stdout.split('\n').filter(Boolean);
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
