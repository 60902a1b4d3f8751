/**
 * What an agent with hooks is doing, from the state its hooks wrote into its tmux session
 * (src/hooks/hook-script.ts) and tmux's own activity times. Pure.
 *
 *   no state yet   starting  launched, has not taken its first prompt (a trust or login dialog may be up)
 *   working        working   on a turn
 *   waiting        waiting   a permission request or a question; the reason says which
 *   done           done      finished its turn, ready for the next prompt
 *
 * claude and gemini fire no hook when the user declines a permission, and none while an
 * approved command runs, so "waiting" is left by the next hook (the next prompt, the tool's
 * end, the turn's end) or by this: the user has typed into the session since the request
 * (tmux's session_activity, which key presses and attaching move and fleet's own send-keys do
 * not) and the agent has gone on writing output for more than a second after that, within
 * idle_seconds (a running command's spinner; the redraw that a key press or an attach causes
 * comes at once). A declined request whose agent then sits quiet still reads "waiting" until
 * the next prompt.
 */

export type HookedStatus = 'starting' | 'working' | 'waiting' | 'done';

/** How long an agent may take to reach its first prompt before fleet says a dialog may be open. */
export const STARTING_GRACE_SECONDS = 20;

/** The tmux facts the derivation reads (unix seconds). */
export interface HookFacts {
  /** @fleet_state as the hooks wrote it ("" or null: none yet). */
  state: string | null;
  /** @fleet_state_at: when the state last changed. */
  at: number | null;
  /** @fleet_reason: why it waits (or why a turn failed). */
  reason: string | null;
  /** session_activity: the last key press or attach of a client. */
  sessionActivity: number | null;
  /** window_activity: the agent's last output. */
  activity: number | null;
  /** session_created. */
  created: number | null;
}

export interface DerivedState {
  status: HookedStatus;
  reason: string | null;
  /** Unix seconds since when it is in this status (null: unknown). */
  since: number | null;
}

/** How the reason of an agent starting for too long begins (other reasons, e.g. a budget's, may follow it). */
const STARTING_STUCK = 'has not taken its prompt';

export function startingReason(branch: string): string {
  return `${STARTING_STUCK}: a dialog may be open — fleet attach ${branch}`;
}

export function hookedState(f: HookFacts, opts: { now: number; idleSeconds: number; branch: string }): DerivedState {
  const nowS = opts.now / 1000;
  switch (f.state) {
    case 'working':
      return { status: 'working', reason: null, since: f.at };
    case 'done':
      return { status: 'done', reason: f.reason || null, since: f.at };
    case 'waiting': {
      const at = f.at ?? 0;
      const typed = f.sessionActivity !== null && f.sessionActivity > at;
      // Output that goes on after the key press (a running command's spinner), not the redraw a
      // key press or an attach causes at once (that is a second or less after it): an answered
      // dialog. tmux keeps activity in whole seconds, rounded down: count quiet time from the
      // end of that second.
      const talking = typed && f.activity !== null && f.activity > f.sessionActivity! + 1 && nowS - (f.activity + 1) < opts.idleSeconds;
      if (talking) return { status: 'working', reason: null, since: f.sessionActivity };
      return { status: 'waiting', reason: f.reason || 'needs your answer', since: f.at };
    }
    default: {
      const since = f.created;
      const stuck = since !== null && nowS - since > STARTING_GRACE_SECONDS;
      return { status: 'starting', reason: stuck ? startingReason(opts.branch) : null, since };
    }
  }
}

/** An agent that needs the user now: waiting on a dialog, or starting for so long that one may be open. */
export function needsUser(v: { status: string; reason?: string | null }): boolean {
  return v.status === 'waiting' || (v.status === 'starting' && Boolean(v.reason?.startsWith(STARTING_STUCK)));
}

/**
 * The order `list` shows agents in: the ones that need the user first, longest waiting first;
 * the rest keep their order.
 */
export function userFirst<T extends { status: string; reason?: string | null; since?: number | null }>(rows: readonly T[]): T[] {
  const urgent = rows.filter(needsUser).sort((a, b) => (a.since ?? Infinity) - (b.since ?? Infinity));
  return [...urgent, ...rows.filter((r) => !needsUser(r))];
}

/**
 * Has an agent settled, for `fleet wait`: it needs the user, finished its turn, ended, or is
 * gone; an agent without hooks counts once it has been quiet for idle_seconds.
 */
export function settled(v: { status: string; reason?: string | null }): boolean {
  return needsUser(v) || ['done', 'idle', 'exited', 'missing', 'worktree-missing', 'setup-failed'].includes(v.status);
}

/**
 * The agent `fleet next` takes the user to: the one waiting longest on a dialog (or starting
 * so long a dialog may be open), else the one done longest ago, else one without hooks that has
 * been quiet longest. Null: nobody is waiting.
 */
export function nextForUser<T extends { status: string; reason?: string | null; since?: number | null }>(views: readonly T[]): T | null {
  const oldest = (xs: T[]) => xs.sort((a, b) => (a.since ?? Infinity) - (b.since ?? Infinity))[0] ?? null;
  return oldest(views.filter(needsUser)) ?? oldest(views.filter((v) => v.status === 'done')) ?? oldest(views.filter((v) => v.status === 'idle'));
}
