import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { CommandError, type Runner } from '../process/runner.js';
import { sleep } from '../process/sleep.js';

export interface RepoInfo {
  /** The main worktree (where .git lives): the repository's identity. */
  root: string;
  /** The worktree the command was run from. */
  toplevel: string;
  /** basename of root, used in session names and worktree paths. */
  name: string;
  commonDir: string;
}

/**
 * git's own lock files under parallel worktree creation: worth a retry, not a failure. Besides
 * the lock files, `git worktree add/list/remove` read every .git/worktrees/<id> and die when a
 * parallel add or remove has that directory half-made or half-gone (git 2.39, 8 parallel adds:
 * "failed to read .git/worktrees/x/commondir: Success" in about 1 of 7).
 */
export function isGitLockContention(stderr: string): boolean {
  // git words every failure to make a lock file alike ("Unable to create '….lock': <why>"); only
  // "File exists" is another process holding it. A name too long, a full disk or a read-only
  // file system fails the same way every time: retrying only delays the error.
  if (PERMANENT_FAILURE.test(stderr)) return false;
  return (
    // In a bare clone (a host's) the directory is <clone>/worktrees/, without .git/.
    /failed to read (.*\/)?worktrees\//i.test(stderr) ||
    /Invalid path '(.*\/)?worktrees\//i.test(stderr) ||
    /\.lock'?:? File exists/i.test(stderr) ||
    /Unable to create '.*\.lock'/i.test(stderr) ||
    /could not lock config file/i.test(stderr) ||
    /cannot lock ref '.*': Unable to create/i.test(stderr) ||
    /could not create (leading )?director(y|ies) of '.*\.git\/worktrees/i.test(stderr) ||
    /unable to create directory '.*\/\.git\/worktrees\//i.test(stderr)
  );
}

/** strerror texts of failures that no retry can fix. */
const PERMANENT_FAILURE = /File name too long|No space left on device|Read-only file system|Disk quota exceeded|Permission denied/i;

/** Retry a git call while it fails on one of git's lock files (parallel fanout). */
export async function withLockRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts - 1 || !(e instanceof CommandError) || !isGitLockContention(e.result.stderr)) throw e;
      await sleep(Math.min(1000, 25 * 2 ** i) * (0.5 + Math.random()));
    }
  }
}

/** Find the repository that `cwd` belongs to (any of its worktrees). */
export async function repoInfo(run: Runner, cwd: string): Promise<RepoInfo> {
  const r = await run('git', ['rev-parse', '--show-toplevel', '--git-common-dir'], { cwd, reject: false });
  if (r.exitCode !== 0) {
    if (/not a git repository/i.test(r.stderr)) {
      throw new FleetError('not inside a git repository', { hint: 'cd into a repository (or run git init) and try again' });
    }
    if (/must be run in a work tree/i.test(r.stderr)) {
      throw new FleetError('fleet needs a working tree, and this is a bare repository (or inside a .git directory)', {
        hint: 'run fleet in a clone with a working tree: git clone <this repository> <dir>, then cd <dir>',
      });
    }
    throw new FleetError(`git rev-parse failed: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  const [toplevel, commonRaw] = r.stdout.split('\n');
  if (!toplevel || !commonRaw) {
    throw new FleetError('fleet needs a repository with a working tree (this looks like a bare repository)');
  }
  const commonDir = path.resolve(cwd, commonRaw);
  const root = realpath(path.basename(commonDir) === '.git' ? path.dirname(commonDir) : toplevel);
  return { root, toplevel: realpath(toplevel), name: path.basename(root), commonDir };
}

/** The path with symlinks resolved (/tmp → /private/tmp), or just made absolute when it does not exist. */
export function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
