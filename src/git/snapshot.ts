import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNumstatZ, type NumstatEntry } from '../core/changes.js';
import type { Runner } from '../process/runner.js';

/** The git directory of a linked worktree, from its `.git` file ("gitdir: …"), without a process. */
export function worktreeGitDir(worktree: string): string | null {
  const dotGit = path.join(worktree, '.git');
  try {
    const st = fs.statSync(dotGit);
    if (st.isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    return m ? path.resolve(worktree, m[1]!) : null;
  } catch {
    return null;
  }
}

/** Is `dir` (still) a git checkout? */
export function isCheckout(dir: string): boolean {
  return dir !== '' && worktreeGitDir(dir) !== null;
}

/**
 * Run `fn` with GIT_INDEX_FILE pointing at a private copy of the worktree's index. Staging into
 * the copy leaves the real index (and the agent's staged/unstaged split) exactly as it was.
 * Starting from a copy rather than an empty index keeps git's stat cache, so unchanged files are
 * not hashed again.
 */
export async function withTempIndex<T>(worktree: string, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const gitDir = worktreeGitDir(worktree);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-index-'));
  const tmpIndex = path.join(dir, 'index');
  try {
    if (gitDir) {
      try {
        fs.copyFileSync(path.join(gitDir, 'index'), tmpIndex);
      } catch (e) {
        // No index yet is fine: `git add -A` builds one from nothing.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return await fn({ GIT_INDEX_FILE: tmpIndex });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Stage everything in the worktree (tracked edits, deletions, untracked files; ignored files
 * never) into the index `env` names, then put the credential files fleet copied in (`exclude`)
 * back as HEAD has them: absent when HEAD does not track them. They are not the agent's work and
 * must never land in a commit. (Excluding them by pathspec instead makes `git add` fail when git
 * ignores one of them.)
 */
async function stageAll(run: Runner, worktree: string, exclude: readonly string[], env: Record<string, string>): Promise<void> {
  await run('git', ['add', '-A'], { cwd: worktree, env });
  if (exclude.length > 0) await run('git', ['--literal-pathspecs', 'reset', '-q', 'HEAD', '--', ...exclude], { cwd: worktree, env });
}

export interface Snapshot {
  /** The worktree's HEAD commit. */
  head: string;
  /** A tree of the worktree exactly as it is on disk (ignored files and `exclude` left out). */
  tree: string;
  /** HEAD's own tree: when it equals `tree`, there is no uncommitted work. */
  headTree: string;
}

/** Capture the worktree's files as a tree object without touching its index or files. */
export async function snapshot(run: Runner, worktree: string, exclude: readonly string[]): Promise<Snapshot> {
  return withTempIndex(worktree, async (env) => {
    await stageAll(run, worktree, exclude, env);
    const tree = (await run('git', ['write-tree'], { cwd: worktree, env })).stdout.trim();
    const heads = await run('git', ['rev-parse', 'HEAD', 'HEAD^{tree}'], { cwd: worktree });
    const [head, headTree] = heads.stdout.split('\n').map((s) => s.trim());
    return { head: head!, tree, headTree: headTree! };
  });
}

/**
 * Files and lines changed in the worktree since `base`, uncommitted work and untracked files
 * included, `exclude` left out: two git calls (stage into a temp index, numstat against it).
 */
export async function worktreeNumstat(run: Runner, worktree: string, base: string, exclude: readonly string[]): Promise<NumstatEntry[]> {
  return withTempIndex(worktree, async (env) => {
    await stageAll(run, worktree, exclude, env);
    const r = await run('git', ['diff', '--cached', '--numstat', '-z', base], { cwd: worktree, env });
    return parseNumstatZ(r.stdout);
  });
}

/** Make a commit of `tree` on top of `parent` (no ref moves); returns its id. */
export async function commitTree(run: Runner, worktree: string, tree: string, parent: string, message: string): Promise<string> {
  const r = await run('git', ['commit-tree', tree, '-p', parent, '-F', '-'], { cwd: worktree, input: message });
  return r.stdout.trim();
}
