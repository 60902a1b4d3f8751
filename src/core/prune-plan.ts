import path from 'node:path';
import type { AgentView } from './reconcile.js';
import type { PaneInfo, WorktreeEntry } from './parse.js';
import { isInside, sanitizeForTmux } from './names.js';
import type { AgentRecord } from '../state/types.js';

/**
 * What `fleet prune` would clean in one repository, worked out from facts already read (state,
 * one tmux list-panes, one git worktree list). Pure: whether a worktree holds uncommitted work
 * is checked when the plan is carried out, since the agent may still be writing.
 */
export interface PrunePlan {
  /** Records whose session is gone (missing), whose worktree directory is gone, or whose set-up died half-way. */
  records: { record: AgentRecord; reason: PruneReason }[];
  /** Sessions in fleet's namespace for this repository that no record claims. */
  sessions: { name: string; alive: boolean }[];
  /** Worktrees under worktree_root/<repo> that no record claims. */
  worktrees: { path: string; branch: string | null }[];
  /**
   * git still lists these worktrees under worktree_root/<repo>, but their directory is gone.
   * `detachedHead`: the commit git still keeps for a detached one (it may hold commits no branch has).
   */
  stale: { path: string; branch: string | null; detachedHead: string | null }[];
  /** Worktrees fleet leaves alone, and why (a locked worktree was locked by someone on purpose). */
  skipped: { path: string; why: string }[];
  /** Files and scratch worktrees fleet processes that were killed left behind (ops/leftovers). */
  leftovers: Leftover[];
  /** This repository's records, reconciled (what the plan was made from). */
  views: readonly AgentView[];
}

/**
 * What a fleet killed at the wrong moment leaves behind of its own making: a temp file of an
 * atomic write, a prompt file no launcher read, the lock directory a takeover was removing,
 * pick's scratch worktree (still registered with git).
 */
export interface Leftover {
  kind: 'temp-file' | 'prompt-file' | 'lock' | 'scratch-worktree' | 'retry-prompt';
  path: string;
  /** The fleet process that made it, when its name says. */
  pid: number | null;
}

export type PruneReason = 'missing' | 'worktree-missing' | 'setup-failed';

export interface PruneFacts {
  repo: { root: string; name: string };
  /** This repository's records, reconciled. */
  views: readonly AgentView[];
  /**
   * Every record of every repository: a session or worktree claimed by any of them is not an
   * orphan. Read after panes and worktrees, so whatever those show was claimed before it.
   */
  allRecords: readonly AgentRecord[];
  panes: readonly PaneInfo[];
  worktrees: readonly WorktreeEntry[];
  worktreeRoot: string;
  prefix: string;
  /** Resolves symlinks (/tmp → /private/tmp) so paths from git, tmux and state compare equal. */
  realpath: (p: string) => string;
  /** Leftovers already found (they need the file system, so they are not worked out here). */
  leftovers?: Leftover[];
}

export function planPrune(f: PruneFacts): PrunePlan {
  const plan: PrunePlan = { records: [], sessions: [], worktrees: [], stale: [], skipped: [], leftovers: [...(f.leftovers ?? [])], views: f.views };

  for (const v of f.views) {
    if (v.status === 'missing' || v.status === 'worktree-missing' || v.status === 'setup-failed') plan.records.push({ record: v.record, reason: v.status });
  }

  // Sessions: in fleet's namespace, of this repository (by its @fleet_repo option or, for a
  // session without one, by the "<prefix><repo>_" name), and claimed by no record.
  const claimedSessions = new Set(f.allRecords.map((r) => r.session));
  const namePrefix = sanitizeForTmux(`${f.prefix}${f.repo.name}_`);
  const seen = new Set<string>();
  for (const p of f.panes) {
    if (seen.has(p.session)) continue;
    seen.add(p.session);
    if (!p.session.startsWith(f.prefix) || claimedSessions.has(p.session)) continue;
    const ours = p.fleet.repo !== undefined ? f.realpath(p.fleet.repo) === f.realpath(f.repo.root) : p.session.startsWith(namePrefix);
    if (ours) plan.sessions.push({ name: p.session, alive: !p.dead });
  }

  // Worktrees: registered with git, inside worktree_root/<repo> (or <repo>-<hash>, the name a
  // second clone with the same directory name gets: agentRepoName), claimed by no record.
  const root = f.realpath(f.worktreeRoot);
  const ownDir = new RegExp(`^${f.repo.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-[0-9a-f]{6})?$`);
  const inOwnDir = (real: string) => {
    if (!isInside(root, real)) return false;
    const [first, ...rest] = path.relative(root, real).split(path.sep);
    return first !== undefined && ownDir.test(first) && rest.length > 0;
  };
  const mainCheckout = f.realpath(f.repo.root);
  const claimedPaths = new Set(f.allRecords.map((r) => f.realpath(r.worktree)));
  for (const w of f.worktrees) {
    const real = f.realpath(w.path);
    if (w.bare || real === mainCheckout || !inOwnDir(real)) continue;
    if (w.prunable) {
      plan.stale.push({ path: w.path, branch: w.branch, detachedHead: w.detached ? w.head : null });
      continue;
    }
    if (claimedPaths.has(real)) continue;
    if (w.locked) {
      plan.skipped.push({ path: w.path, why: 'it is locked (git worktree unlock, then prune again)' });
      continue;
    }
    plan.worktrees.push({ path: w.path, branch: w.branch });
  }
  return plan;
}

export function planSize(plan: PrunePlan): number {
  return plan.records.length + plan.sessions.length + plan.worktrees.length + plan.stale.length + plan.leftovers.length;
}
