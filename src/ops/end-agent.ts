import fs from 'node:fs';
import path from 'node:path';
import type { BaseContext } from '../context.js';
import { agentProcesses, type Guard } from '../core/agent-processes.js';
import { tildify } from '../core/format.js';
import type { ProcEntry } from '../process/process-table.js';
import { terminate } from '../process/terminate.js';
import { killSession, serverPid, sessionPanePids } from '../tmux/sessions.js';

/** What to end: an agent's tmux session and/or every process belonging to its worktree. */
export interface EndTarget {
  /** The tmux session (null: none, e.g. a set-up that never got that far, or a stray worktree). */
  session: string | null;
  /** The worktree (null: none known). */
  worktree: string | null;
}

export interface EndResult {
  /** The session existed and was ended. */
  sessionKilled: boolean;
  /** Processes ended (besides what tmux ended by itself). */
  ended: number;
  /** Still running: could not be ended (uninterruptible), named in a warning. */
  left: ProcEntry[];
  /** In the worktree but on another terminal (the user's shell or editor): left alone, named in a warning. */
  spared: ProcEntry[];
}

/** The worktree as given and with symlinks resolved (a process's cwd is always the resolved path). */
function worktreeNames(worktree: string): string[] {
  const given = path.resolve(worktree);
  let real = given;
  try {
    real = fs.realpathSync(given);
  } catch {
    try {
      real = path.join(fs.realpathSync(path.dirname(given)), path.basename(given));
    } catch {
      // neither exists: the given path is all there is
    }
  }
  return [...new Set([given, real])];
}

const key = (p: ProcEntry) => `${p.pid}:${p.start}`;

function union(...lists: ProcEntry[][]): ProcEntry[] {
  const out = new Map<string, ProcEntry>();
  for (const l of lists) for (const p of l) out.set(key(p), p);
  return [...out.values()];
}

/**
 * End everything an agent started: its session, the whole process tree below its panes (found
 * before the session goes, since tmux kill-session only hangs up on the panes and what ignores
 * that, or has left their process group, lives on), and every process still working in its
 * worktree or started with its FLEET_WORKTREE (setsid'd daemons, set-up commands a killed fleet
 * left behind). SIGTERM, a grace of a few seconds, then SIGKILL. Never fleet itself, its
 * parents or children, the tmux server, init, or another user's processes; a process in the
 * worktree that sits on another terminal is the user's and is left alone with a warning.
 *
 * This is the one way fleet ends an agent's processes: kill, prune, pick's clean-up and the
 * rollback of a failed create all come here. Local agents only.
 */
export async function endAgentProcesses(ctx: BaseContext, target: EndTarget): Promise<EndResult> {
  const panes = target.session ? await sessionPanePids(ctx.run, target.session) : null;
  const server = panes ? panes.server : await serverPid(ctx.run);
  const guard: Guard = { self: ctx.procs.self, uid: ctx.procs.uid, protect: server === null ? [] : [server] };
  const roots = panes?.panes ?? [];
  const worktrees = target.worktree ? worktreeNames(target.worktree) : [];
  const find = async () => agentProcesses(await ctx.procs.list(), { roots, worktrees }, guard);

  const before = await find();
  const sessionKilled = target.session !== null ? await killSession(ctx.run, target.session) : false;
  const first = await terminate(ctx.procs, before.victims);
  // Once more: what was forked since the first look, or by a dying agent during its grace.
  const last = await find();
  const second = await terminate(ctx.procs, last.victims, { graceMs: 500 });

  const left = union(first.left, second.left);
  const spared = union(before.spared, last.spared);
  const where = target.worktree ? tildify(target.worktree, ctx.env.HOME) : 'its worktree';
  const named = (ps: ProcEntry[]) => ps.map((p) => `${p.pid} (${p.command})`).join(', ');
  if (spared.length === 1) ctx.ui.warn(`left pid ${named(spared)} running in ${where}: it is on another terminal, not the agent's`);
  if (spared.length > 1) ctx.ui.warn(`left ${spared.length} processes running in ${where}: they are on another terminal, not the agent's (pids ${named(spared)})`);
  if (left.length === 1) ctx.ui.warn(`could not end pid ${named(left)}, started by the agent; it is still running`);
  if (left.length > 1) ctx.ui.warn(`could not end ${left.length} processes started by the agent; they are still running (pids ${named(left)})`);
  return { sessionKilled, ended: first.ended + second.ended, left, spared };
}
