import { FleetError } from '../errors.js';
import type { Context } from '../context.js';
import { sumNumstat, type ChangeStats } from '../core/changes.js';
import { diffNumstat } from '../git/diff.js';
import { mergeBase, resolveCommit } from '../git/refs.js';
import { isCheckout, snapshot, worktreeNumstat } from '../git/snapshot.js';
import type { AgentRecord } from '../state/types.js';
import { tildify } from '../core/format.js';

/** Is the record's worktree still there and a git checkout? */
export function hasWorktree(record: AgentRecord): boolean {
  // A host's path says nothing about this machine's file system.
  return !record.host && isCheckout(record.worktree);
}

/**
 * The commit the agent's work is measured from: the recorded base, or (for a record rebuilt
 * without one) where the branch left the main checkout's HEAD.
 */
export async function resolveBase(ctx: Context, record: AgentRecord): Promise<string> {
  if (record.base_commit) {
    const c = await resolveCommit(ctx.run, record.repo, record.base_commit);
    if (c) return c;
  }
  const base = await mergeBase(ctx.run, record.repo, 'HEAD', `refs/heads/${record.branch}`);
  if (base) return base;
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
  if (record.host) return { base, target: await fetchHostWork(ctx, record), source: 'worktree' };
  if (hasWorktree(record)) {
    const snap = await snapshot(ctx.run, record.worktree, record.copied_files);
    return { base, target: snap.tree, source: 'worktree' };
  }
  const tip = await resolveCommit(ctx.run, record.repo, `refs/heads/${record.branch}`);
  if (!tip) {
    throw new FleetError(`"${record.branch}" has neither a worktree (${tildify(record.worktree, ctx.env.HOME)}) nor a branch any more`, {
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
  if (record.host) return sumNumstat(await diffNumstat(ctx.run, record.repo, base, await fetchHostWork(ctx, record)));
  if (hasWorktree(record)) return sumNumstat(await worktreeNumstat(ctx.run, record.worktree, base, record.copied_files));
  return sumNumstat(await diffNumstat(ctx.run, record.repo, base, `refs/heads/${record.branch}`));
}

/**
 * An agent on a host: its branch and uncommitted work fetched into this repository
 * (refs/fleet/remote/<host>/<branch>, refs/fleet/remote-work/…); the commit holding all of it.
 */
export async function fetchHostWork(ctx: Context, record: AgentRecord): Promise<string> {
  const f = await fetchHostRefs(ctx, record);
  return f.workCommit ?? f.branchCommit;
}

/** fetchHostWork's refs: the branch's commit here, and the uncommitted work's (a commit on it) when there is any. */
export async function fetchHostRefs(ctx: Context, record: AgentRecord): Promise<{ branchCommit: string; workCommit: string | null }> {
  const [{ recordPlace }, { fetchAgentWork }] = await Promise.all([import('../remote/host-place.js'), import('../remote/repo-sync.js')]);
  return fetchAgentWork(recordPlace(ctx, record).git, {
    localRepo: record.repo,
    repoPath: record.remote_repo!,
    worktree: record.worktree,
    branch: record.branch,
    exclude: record.copied_files,
  });
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
