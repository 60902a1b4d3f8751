import fs from 'node:fs';
import path from 'node:path';
import { FleetError } from '../errors.js';
import { CommandError, type Runner } from '../process/runner.js';
import { globMatch, isGlob, isInside } from '../core/names.js';
import { parseStatusZ, parseWorktreePorcelain, type WorktreeEntry } from '../core/parse.js';

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
  return (
    /failed to read .*\.git\/worktrees\//i.test(stderr) ||
    /Invalid path '.*\.git\/worktrees\//i.test(stderr) ||
    /\.lock'?:? File exists/i.test(stderr) ||
    /Unable to create '.*\.lock'/i.test(stderr) ||
    /could not lock config file/i.test(stderr) ||
    /cannot lock ref '.*': Unable to create/i.test(stderr) ||
    /could not create (leading )?director(y|ies) of '.*\.git\/worktrees/i.test(stderr) ||
    /unable to create directory '.*\/\.git\/worktrees\//i.test(stderr)
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** git via the one runner, every call with an explicit cwd. */
export class WorktreeManager {
  constructor(private readonly run: Runner) {}

  private git(cwd: string, args: string[], opts: { reject?: boolean; input?: string; env?: Record<string, string> } = {}) {
    return this.run('git', args, { cwd, ...opts });
  }

  /** Retry a git call while it fails on one of git's lock files (parallel fanout). */
  async withLockRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
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
  async repoInfo(cwd: string): Promise<RepoInfo> {
    const r = await this.git(cwd, ['rev-parse', '--show-toplevel', '--git-common-dir'], { reject: false });
    if (r.exitCode !== 0) {
      if (/not a git repository/i.test(r.stderr)) {
        throw new FleetError('not inside a git repository', { hint: 'cd into a repository (or run git init) and try again' });
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

  /** The commit a ref names, or null. */
  async resolveCommit(repo: string, ref: string): Promise<string | null> {
    const r = await this.git(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], { reject: false });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  /** Short name of the branch checked out in `worktree`, or null when detached. */
  async currentBranch(worktree: string): Promise<string | null> {
    const r = await this.git(worktree, ['symbolic-ref', '--short', '-q', 'HEAD'], { reject: false });
    return r.exitCode === 0 ? r.stdout.trim() : null;
  }

  async branchExists(repo: string, branch: string): Promise<boolean> {
    const r = await this.git(repo, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { reject: false });
    return r.exitCode === 0;
  }

  async list(repo: string): Promise<WorktreeEntry[]> {
    const r = await this.withLockRetry(() => this.git(repo, ['worktree', 'list', '--porcelain']));
    return parseWorktreePorcelain(r.stdout);
  }

  /**
   * Create a worktree at `dir`: on a new branch from `base`, or on an existing branch.
   * A half-made attempt is cleaned up (`-b` creates the branch before the worktree, and a git
   * that dies half-way leaves both), then retried when it failed on git lock contention.
   */
  async add(repo: string, opts: { dir: string; branch: string; newBranch: boolean; base: string }): Promise<void> {
    fs.mkdirSync(path.dirname(opts.dir), { recursive: true });
    const args = opts.newBranch
      ? ['worktree', 'add', '--quiet', '-b', opts.branch, '--', opts.dir, opts.base]
      : ['worktree', 'add', '--quiet', '--', opts.dir, opts.branch];
    await this.withLockRetry(async () => {
      try {
        await this.git(repo, args);
      } catch (e) {
        // "already exists" (the branch, or the directory): git made nothing, and what is there is not ours.
        if (!(e instanceof CommandError && /already exists/i.test(e.result.stderr))) await this.undoPartialAdd(repo, opts);
        throw e;
      }
    }, 10);
  }

  private async undoPartialAdd(repo: string, opts: { dir: string; branch: string; newBranch: boolean }): Promise<void> {
    const dir = realpath(opts.dir);
    const registered = (await this.list(repo).catch(() => [])).some((w) => w.path === opts.dir || w.path === dir);
    if (registered) {
      await this.withLockRetry(() => this.git(repo, ['worktree', 'remove', '--force', '--force', '--', opts.dir])).catch(() => undefined);
    }
    fs.rmSync(opts.dir, { recursive: true, force: true });
    if (opts.newBranch && (await this.branchExists(repo, opts.branch))) {
      await this.withLockRetry(() => this.git(repo, ['branch', '-D', '--', opts.branch])).catch(() => undefined);
    }
  }

  /** `git status` of a worktree: every changed, staged or untracked path (ignored files excluded). */
  async changedPaths(worktree: string): Promise<{ code: string; path: string }[]> {
    // --no-optional-locks: a status check must not rewrite the agent's index under it.
    const r = await this.git(worktree, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all']);
    return parseStatusZ(r.stdout);
  }

  /**
   * Remove a worktree. Refuses the main worktree and anything outside `worktreeRoot`; the
   * caller decides about uncommitted work (see dirtyPaths) and passes force after checking.
   */
  async remove(repo: string, dir: string, opts: { worktreeRoot: string; force: boolean }): Promise<void> {
    if (realpath(dir) === realpath(repo)) throw new FleetError(`refusing to remove the main worktree ${dir}`);
    if (!isInside(realpath(opts.worktreeRoot), realpath(dir))) {
      throw new FleetError(`refusing to remove ${dir}: it is outside worktree_root (${opts.worktreeRoot})`);
    }
    const registered = (await this.list(repo)).some((w) => w.path === dir || w.path === realpath(dir));
    if (registered) {
      const args = ['worktree', 'remove', ...(opts.force ? ['--force', '--force'] : []), '--', dir];
      await this.withLockRetry(() => this.git(repo, args));
    } else if (fs.existsSync(dir)) {
      // Not a worktree git knows of (a leftover directory): only removed when forced.
      if (!opts.force) throw new FleetError(`${dir} is not a registered worktree; not removing it`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    removeEmptyParents(path.dirname(dir), opts.worktreeRoot);
  }

  /** Delete a branch; without force git refuses one that is not merged. */
  async deleteBranch(repo: string, branch: string, force: boolean): Promise<void> {
    await this.withLockRetry(() => this.git(repo, ['branch', force ? '-D' : '-d', '--', branch]));
  }

  /** Commits on `branch` that `base` does not have. */
  async commitsAhead(repo: string, base: string, branch: string): Promise<number> {
    const r = await this.git(repo, ['rev-list', '--count', `${base}..refs/heads/${branch}`], { reject: false });
    return r.exitCode === 0 ? Number(r.stdout.trim()) || 0 : 0;
  }

  /**
   * Copy credential files (paths or globs relative to the repo root) into a new worktree,
   * keeping their mode. Paths escaping the repository are refused; a missing file is a note.
   */
  copyFiles(repo: string, worktree: string, patterns: readonly string[]): { copied: string[]; notes: string[] } {
    const copied: string[] = [];
    const notes: string[] = [];
    for (const pattern of patterns) {
      if (path.isAbsolute(pattern) || !isInside(repo, path.resolve(repo, pattern))) {
        throw new FleetError(`credential_files entry "${pattern}" is outside the repository`, {
          hint: 'list paths relative to the repository root',
        });
      }
      const matches = expandGlob(repo, pattern);
      if (matches.length === 0) {
        notes.push(`credential file "${pattern}" not found in ${repo}; skipped`);
        continue;
      }
      for (const rel of matches) {
        const src = path.join(repo, rel);
        const real = realpath(src);
        if (!isInside(realpath(repo), real)) {
          throw new FleetError(`credential file "${rel}" points outside the repository (${real})`);
        }
        const st = fs.statSync(src);
        if (!st.isFile()) continue;
        const dest = path.join(worktree, rel);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(src, dest);
        fs.chmodSync(dest, st.mode & 0o7777);
        copied.push(rel);
      }
    }
    return { copied, notes };
  }
}

export function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
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

/** Expand a relative glob (`*`, `?`, `[..]`, `**`) against the repository's files. */
export function expandGlob(root: string, pattern: string): string[] {
  const parts = pattern.split('/').filter((p) => p !== '' && p !== '.');
  if (!parts.some(isGlob)) return fs.existsSync(path.join(root, ...parts)) ? [parts.join('/')] : [];
  const out: string[] = [];
  const walk = (rel: string[], i: number): void => {
    if (i === parts.length) {
      out.push(rel.join('/'));
      return;
    }
    const part = parts[i]!;
    const dir = path.join(root, ...rel);
    if (part === '**') {
      walk(rel, i + 1);
      for (const e of readDir(dir)) if (e.isDirectory() && e.name !== '.git') walk([...rel, e.name], i);
      return;
    }
    if (!isGlob(part)) {
      if (fs.existsSync(path.join(dir, part))) walk([...rel, part], i + 1);
      return;
    }
    for (const e of readDir(dir)) {
      if (e.name === '.git') continue;
      if (globMatch(part, e.name)) walk([...rel, e.name], i + 1);
    }
  };
  walk([], 0);
  return [...new Set(out)].sort();
}

function readDir(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
