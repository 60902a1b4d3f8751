import type { PaneInfo } from './parse.js';
import type { AgentRecord } from '../state/types.js';
import { hookedState, type HookedStatus } from './agent-state.js';

export type AgentStatus = 'running' | 'idle' | 'exited' | 'missing' | 'worktree-missing' | 'setup-failed' | 'creating' | 'unreachable' | HookedStatus;

export interface AgentView {
  record: AgentRecord;
  status: AgentStatus;
  exitCode: number | null;
  pane: PaneInfo | null;
  /** Why it is in this status, when fleet knows (a hooked agent's dialog, a failed turn). */
  reason?: string | null;
  /** Unix seconds since when it is in this status, when known. */
  since?: number | null;
  /**
   * A "creating" record whose set-up did finish: its session runs and carries this set-up's
   * @fleet_* options, but the fleet that made it died before recording it ready. It is an
   * agent like any other (status from its pane); its record should say ready.
   */
  unrecorded?: true;
}

/** Is the process that had `start` (when known) still running under `pid`? */
export type PidAlive = (pid: number, start?: string | null) => boolean;

/**
 * Did this pane's session come from this record's set-up? newSession sets every @fleet_* option
 * in the same tmux call that starts the session, and `created` is the claim's own timestamp, so
 * complete options that match the record are its agent, not a leftover of someone else's.
 */
export function startedBy(pane: PaneInfo, record: AgentRecord): boolean {
  const f = pane.fleet;
  return (
    f.repo === record.repo &&
    f.branch === record.branch &&
    f.worktree === record.worktree &&
    f.agent === record.agent &&
    f.created === record.created_at &&
    f.base !== undefined &&
    f.base === record.base_commit
  );
}

/**
 * Status of each record from tmux's pane facts alone (no screen scraping): pane gone →
 * missing; pane dead → exited with its status; alive and output within idle_seconds →
 * running, else idle. A record still "creating" whose owner process died → setup-failed,
 * unless its session was started (startedBy): then fleet died just before recording it ready,
 * and it is a running agent. A ready record whose worktree directory is gone →
 * worktree-missing, whatever its pane says (`worktreeExists` is asked only for records that
 * name a worktree).
 */
export function reconcile(
  records: readonly AgentRecord[],
  panes: readonly PaneInfo[],
  opts: { now: number; idleSeconds: number; pidAlive: PidAlive; worktreeExists?: (dir: string) => boolean },
): AgentView[] {
  const bySession = new Map<string, PaneInfo>();
  for (const p of panes) if (!bySession.has(p.session)) bySession.set(p.session, p);
  return records.map((record) => {
    const pane = bySession.get(record.session) ?? null;
    let unrecorded: { unrecorded?: true } = {};
    if (record.phase === 'creating') {
      const ownerAlive = record.owner_pid !== null && opts.pidAlive(record.owner_pid, record.owner_start);
      if (ownerAlive) return { record, pane, exitCode: null, status: 'creating' };
      if (!pane || !startedBy(pane, record)) return { record, pane, exitCode: null, status: 'setup-failed' };
      unrecorded = { unrecorded: true };
    }
    if (record.worktree !== '' && opts.worktreeExists && !opts.worktreeExists(record.worktree)) {
      return { record, pane, exitCode: pane?.dead ? exitCodeOf(pane) : null, status: 'worktree-missing' };
    }
    if (!pane) return { record, pane, exitCode: null, status: 'missing' };
    if (pane.dead) return { record, pane, exitCode: exitCodeOf(pane), status: 'exited', since: pane.hook.state === 'exited' ? pane.hook.at : null, ...unrecorded };
    // An agent with hooks says itself what it does (core/agent-state); the others by their output.
    if (pane.fleet.hooks) {
      const h = hookedState(
        { ...pane.hook, state: pane.hook.state || null, reason: pane.hook.reason || null, sessionActivity: pane.sessionActivity, activity: pane.activity, created: pane.sessionCreated },
        { now: opts.now, idleSeconds: opts.idleSeconds, branch: record.branch },
      );
      return { record, pane, exitCode: null, ...h, ...unrecorded };
    }
    const last = pane.activity ?? pane.sessionCreated ?? 0;
    // tmux keeps activity in whole seconds (rounded down): output at 100.9 reads as 100. Count
    // quiet time from the end of that second, or a chatty agent reads as idle for a moment.
    const idle = opts.now / 1000 - (last + 1) >= opts.idleSeconds;
    return { record, pane, exitCode: null, status: idle ? 'idle' : 'running', since: idle ? last : null, ...unrecorded };
  });
}

/**
 * CPU (percent of one core, the agent's whole process tree) from which an agent that prints
 * nothing is still at work, not idle: a silent build, a long test run, a busy loop. Averaged
 * since the previous `fleet list` (1 s to 10 min before); an idle agent's TUI uses about 1%.
 */
export const BUSY_CPU_PERCENT = 5;
/**
 * The same when there is no previous look to measure from and the figure is each process's
 * lifetime average: higher, since an agent's start-up burst is in it. An idle agent has been
 * quiet for idle_seconds (30), so its lifetime is at least that: Claude Code's ~2-3 s of
 * start-up CPU make 5-10% then; a busy loop on a loaded machine still shows 30-40%.
 */
export const BUSY_CPU_LIFETIME_PERCENT = 20;

/**
 * idle → running when the agent's process tree is busy. Only `idle` changes: it is the guess
 * made from pane activity for agents that do not report their own state.
 */
export function busyByCpu(status: AgentStatus, usage: { cpu: number; windowed: boolean } | undefined): AgentStatus {
  if (status !== 'idle' || !usage) return status;
  return usage.cpu >= (usage.windowed ? BUSY_CPU_PERCENT : BUSY_CPU_LIFETIME_PERCENT) ? 'running' : status;
}

/** A dead pane's exit status; killed by a signal, 128 + its number, as shells report it. */
export function exitCodeOf(pane: Pick<PaneInfo, 'deadStatus' | 'deadSignal'>): number | null {
  if (pane.deadStatus !== null) return pane.deadStatus;
  return pane.deadSignal !== null ? 128 + pane.deadSignal : null;
}

/** Records rebuilt from the @fleet_* options of live sessions (state.json was lost). */
export function recordsFromPanes(panes: readonly PaneInfo[], prefix: string): AgentRecord[] {
  const seen = new Set<string>();
  const out: AgentRecord[] = [];
  for (const p of panes) {
    const f = p.fleet;
    if (!f.repo || !f.branch || !p.session.startsWith(prefix) || seen.has(p.session)) continue;
    seen.add(p.session);
    out.push({
      repo: f.repo,
      repo_name: repoNameFromWorktree(f.worktree, f.branch) ?? f.repo.split('/').pop() ?? f.repo,
      branch: f.branch,
      batch_id: f.batch ?? null,
      agent: f.agent ?? 'unknown',
      session: p.session,
      worktree: f.worktree ?? '',
      base_commit: f.base ?? '',
      base_ref: f.base ?? '',
      created_branch: false,
      copied_files: [],
      created_at: f.created ?? new Date((p.sessionCreated ?? 0) * 1000).toISOString(),
      prompt_preview: '',
      phase: 'ready',
      owner_pid: null,
      hooks: f.hooks ?? null,
      conversation_id: f.conversation ?? null,
    });
  }
  return out;
}

/**
 * The repo-name an agent was made with, read back from its worktree path
 * (`<worktree_root>/<repo-name>/<branch>`): it may carry a hash (agentRepoName).
 */
export function repoNameFromWorktree(worktree: string | undefined, branch: string): string | null {
  if (!worktree || !worktree.endsWith(`/${branch}`)) return null;
  const parent = worktree.slice(0, -(branch.length + 1));
  const name = parent.slice(parent.lastIndexOf('/') + 1);
  return name === '' ? null : name;
}
