/**
 * Which processes belong to an agent, from one read of the process table. Pure: the caller
 * reads the table (process/process-table) and sends the signals (process/end-processes).
 *
 * tmux kill-session only sends SIGHUP to each pane's process group. What survives it: a
 * program that ignores SIGHUP (gemini's launcher, any `nohup`), a child started with setsid
 * (its own session and group: codex's app-server daemon), a daemon that double-forked and was
 * re-parented to init. So an agent's processes are, besides the pane's own tree:
 * - everything in a pane's session (the pane's process leads it; a double-forked child keeps
 *   the session id after its parent is gone),
 * - everything started with the agent's FLEET_WORKTREE in its environment (inherited across
 *   setsid and fork, even by a terminal the agent opened, a nested tmux say),
 * - everything whose working directory is inside the agent's worktree, unless it sits on a
 *   terminal of its own: that is the user's shell or editor there, not the agent's (and so is
 *   the program holding that terminal open).
 */
import { isInside } from './names.js';
import type { ProcEntry } from '../process/process-table.js';

export interface AgentProcessTarget {
  /** The pids of the agent's panes (read from tmux before the session ends). */
  roots: readonly number[];
  /** The agent's worktree, as given and with symlinks resolved (either may match a cwd); empty when it has none. */
  worktrees: readonly string[];
}

export interface Guard {
  /** fleet's own pid: it, its ancestors and its children are never chosen. */
  self: number;
  /** Only this user's processes are chosen (null: none are). */
  uid: number | null;
  /** Never chosen either, with their ancestors (the tmux server). */
  protect: readonly number[];
}

export interface AgentProcesses {
  /** To be ended. */
  victims: ProcEntry[];
  /** In the worktree but on another terminal (the user's): left alone. */
  spared: ProcEntry[];
}

/** pid → entry and pid → children of one table read. */
function index(table: readonly ProcEntry[]): { byPid: Map<number, ProcEntry>; children: Map<number, number[]> } {
  const byPid = new Map<number, ProcEntry>();
  const children = new Map<number, number[]>();
  for (const p of table) {
    byPid.set(p.pid, p);
    const c = children.get(p.ppid);
    if (c) c.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  return { byPid, children };
}

/** `pids` and everything below them; guarded against cycles (a pid reused while the table was read). */
function subtree(children: Map<number, number[]>, pids: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const queue = [...pids];
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    queue.push(...(children.get(p) ?? []));
  }
  return seen;
}

/** `pids` and their ancestors up to init. */
function ancestry(byPid: Map<number, ProcEntry>, pids: Iterable<number>): Set<number> {
  const out = new Set<number>();
  for (let p of pids) {
    while (!out.has(p)) {
      out.add(p);
      const parent = byPid.get(p)?.ppid;
      if (parent === undefined || parent <= 0) break;
      p = parent;
    }
  }
  return out;
}

/** The agent's processes in `table` (see the file comment), never fleet, its family, init or another user's. */
export function agentProcesses(table: readonly ProcEntry[], target: AgentProcessTarget, guard: Guard): AgentProcesses {
  const { byPid, children } = index(table);
  const untouchable = ancestry(byPid, [guard.self, ...guard.protect]);
  for (const p of subtree(children, [guard.self])) untouchable.add(p);
  untouchable.add(0);
  untouchable.add(1);

  const roots = target.roots.filter((r) => byPid.has(r));
  const rootSet = new Set(roots);
  const tree = subtree(children, roots);
  const startedByAgent = (p: ProcEntry) => p.fleetWorktree !== null && target.worktrees.includes(p.fleetWorktree);
  const inWorktree = (p: ProcEntry) => p.cwd !== null && target.worktrees.some((w) => isInside(w, p.cwd!));

  const agents: ProcEntry[] = [];
  const found: ProcEntry[] = [];
  const spared: ProcEntry[] = [];
  for (const p of table) {
    if (untouchable.has(p.pid) || guard.uid === null || p.uid !== guard.uid) continue;
    const inSession = p.sid !== null && rootSet.has(p.sid);
    if (tree.has(p.pid) || inSession || startedByAgent(p)) agents.push(p);
    // Only there, on a terminal of its own, and not started by the agent: your shell or editor.
    else if (inWorktree(p)) (p.tty ? spared : found).push(p);
  }
  // What holds a spared terminal open (`script`, a terminal program started in the worktree)
  // is part of it: ending it would hang up on the very shell that was spared.
  const holders = ancestry(byPid, spared.map((p) => p.pid));
  for (const p of found) if (holders.has(p.pid)) spared.push(p);
  return { victims: [...agents, ...found.filter((p) => !holders.has(p.pid))], spared };
}
