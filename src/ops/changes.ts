import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { parseStatusZ } from '../core/parse.js';
import { parseNumstatZ, pathspecExcluding, sumNumstat, type ChangeStats } from '../core/changes.js';
import type { AgentRecord } from '../state/types.js';
import { tildify } from '../ui/output.js';

/**
 * Reads of a worktree must not write to it. `git status` refreshes the index's stat data and
 * writes it back when it can take the lock; --no-optional-locks turns that off.
 */
const READ_ONLY = ['--no-optional-locks'];

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

/** Stage everything in the worktree (tracked edits, deletions, untracked files) into the index `env` names. */
async function stageAll(ctx: Context, record: AgentRecord, env: Record<string, string>): Promise<void> {
  // Credential files fleet copied in are not the agent's work (and must never land in a commit).
  await ctx.run('git', ['add', '-A', '--', ...pathspecExcluding(record.copied_files)], { cwd: record.worktree, env });
}

/** Is the record's worktree still there and a git checkout? */
export function hasWorktree(record: AgentRecord): boolean {
  return record.worktree !== '' && worktreeGitDir(record.worktree) !== null;
}

export interface Snapshot {
  /** The worktree's HEAD commit. */
  head: string;
  /** A tree of the worktree exactly as it is on disk (ignored files and copied credentials left out). */
  tree: string;
  /** HEAD's own tree: when it equals `tree`, there is no uncommitted work. */
  headTree: string;
}

/** Capture the worktree's files as a tree object without touching its index or files. */
export async function snapshotWorktree(ctx: Context, record: AgentRecord): Promise<Snapshot> {
  return withTempIndex(record.worktree, async (env) => {
    await stageAll(ctx, record, env);
    const tree = (await ctx.run('git', ['write-tree'], { cwd: record.worktree, env })).stdout.trim();
    const heads = await ctx.run('git', ['rev-parse', 'HEAD', 'HEAD^{tree}'], { cwd: record.worktree });
    const [head, headTree] = heads.stdout.split('\n').map((s) => s.trim());
    return { head: head!, tree, headTree: headTree! };
  });
}

/**
 * The commit the agent's work is measured from: the recorded base, or (for a record rebuilt
 * without one) where the branch left the main checkout's HEAD.
 */
export async function resolveBase(ctx: Context, record: AgentRecord): Promise<string> {
  if (record.base_commit) {
    const c = await ctx.git.resolveCommit(record.repo, record.base_commit);
    if (c) return c;
  }
  const r = await ctx.run('git', ['merge-base', 'HEAD', `refs/heads/${record.branch}`], { cwd: record.repo, reject: false });
  if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
  throw new FleetError(`cannot tell which commit "${record.branch}" started from`, {
    hint: `compare by hand: git diff <base>...${record.branch}`,
  });
}

export interface AgentChange {
  base: string;
  /** Tree (worktree snapshot) or commit (branch tip, when the worktree is gone) to compare the base with. */
  target: string;
  /** Where `target` came from. */
  source: 'worktree' | 'branch';
}

/** Everything the agent changed since its base: commits, uncommitted edits and untracked files. */
export async function agentChange(ctx: Context, record: AgentRecord): Promise<AgentChange> {
  const base = await resolveBase(ctx, record);
  if (hasWorktree(record)) {
    const snap = await snapshotWorktree(ctx, record);
    return { base, target: snap.tree, source: 'worktree' };
  }
  const tip = await ctx.git.resolveCommit(record.repo, `refs/heads/${record.branch}`);
  if (!tip) {
    throw new FleetError(`"${record.branch}" has neither a worktree (${tildify(record.worktree)}) nor a branch any more`, {
      hint: `fleet prune drops its record`,
    });
  }
  return { base, target: tip, source: 'branch' };
}

/**
 * Files and lines changed since the base, for `list --changes`: two git calls per agent with a
 * worktree (stage into a temp index, numstat against it), one without.
 */
export async function changeStats(ctx: Context, record: AgentRecord): Promise<ChangeStats> {
  const base = await resolveBase(ctx, record);
  if (hasWorktree(record)) {
    return withTempIndex(record.worktree, async (env) => {
      await stageAll(ctx, record, env);
      const r = await ctx.run('git', ['diff', '--cached', '--numstat', '-z', base], { cwd: record.worktree, env });
      return sumNumstat(parseNumstatZ(r.stdout));
    });
  }
  const r = await ctx.run('git', ['diff', '--numstat', '-z', base, `refs/heads/${record.branch}`], { cwd: record.repo });
  return sumNumstat(parseNumstatZ(r.stdout));
}

/** Stats of many agents, a few at a time (two cores; each is a couple of git processes). */
export async function changeStatsAll(ctx: Context, records: readonly AgentRecord[], parallel = 4): Promise<Map<AgentRecord, ChangeStats | null>> {
  const out = new Map<AgentRecord, ChangeStats | null>();
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const r = records[next++]!;
      out.set(r, await changeStats(ctx, r).catch(() => null));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, records.length) }, worker));
  return out;
}

/**
 * Uncommitted work in a worktree (git status minus the credential files fleet copied in),
 * read without refreshing the worktree's index.
 */
export async function statusOf(ctx: Context, record: AgentRecord): Promise<{ code: string; path: string }[]> {
  if (!hasWorktree(record)) return [];
  const r = await ctx.run('git', [...READ_ONLY, 'status', '--porcelain=v1', '-z', '--untracked-files=all'], { cwd: record.worktree });
  const copied = new Set(record.copied_files);
  return parseStatusZ(r.stdout).filter((e) => !copied.has(e.path));
}

/** Tracked changes (staged or not) in a checkout; untracked files are not counted. */
export async function trackedChanges(ctx: Context, dir: string): Promise<string[]> {
  const r = await ctx.run('git', [...READ_ONLY, 'status', '--porcelain=v1', '-z', '--untracked-files=no'], { cwd: dir });
  return parseStatusZ(r.stdout).map((e) => e.path);
}
