/** Pure parsers of git and tmux output. Unit-tested on captured output. */

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name (refs/heads/ stripped), null when detached. */
  branch: string | null;
  bare: boolean;
  detached: boolean;
  locked: boolean;
  prunable: boolean;
}

/** Parse `git worktree list --porcelain` (blank-line separated records). */
export function parseWorktreePorcelain(out: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let cur: WorktreeEntry | null = null;
  for (const line of out.split('\n')) {
    if (line === '') {
      if (cur) entries.push(cur);
      cur = null;
      continue;
    }
    const sp = line.indexOf(' ');
    const key = sp === -1 ? line : line.slice(0, sp);
    const value = sp === -1 ? '' : line.slice(sp + 1);
    if (key === 'worktree') {
      if (cur) entries.push(cur);
      cur = { path: value, head: null, branch: null, bare: false, detached: false, locked: false, prunable: false };
    } else if (cur) {
      if (key === 'HEAD') cur.head = value;
      else if (key === 'branch') cur.branch = value.replace(/^refs\/heads\//, '');
      else if (key === 'bare') cur.bare = true;
      else if (key === 'detached') cur.detached = true;
      else if (key === 'locked') cur.locked = true;
      else if (key === 'prunable') cur.prunable = true;
    }
  }
  if (cur) entries.push(cur);
  return entries;
}

/** Field separator for tmux -F output: a control character no path or branch contains. */
export const FS = '\x1f';

/** The tmux user options a fleet session carries, so state can be rebuilt from tmux alone. */
export const FLEET_OPTIONS = ['repo', 'branch', 'batch', 'agent', 'worktree', 'created', 'base', 'hooks', 'conversation', 'host'] as const;
export type FleetOption = (typeof FLEET_OPTIONS)[number];

export interface PaneInfo {
  session: string;
  paneId: string;
  pid: number | null;
  dead: boolean;
  deadStatus: number | null;
  /** Unix seconds of the window's last output. */
  activity: number | null;
  sessionCreated: number | null;
  currentCommand: string;
  fleet: Partial<Record<FleetOption, string>>;
  /** The signal that ended a dead pane's process (tmux >= 3.3; null otherwise). */
  deadSignal: number | null;
  /** The tmux server's pid (the same on every pane). */
  serverPid: number | null;
  /** Unix seconds of the last key press (or attach) of a client in the session. */
  sessionActivity: number | null;
  /** What the agent's hooks wrote (src/hooks/hook-script.ts); empty strings when they wrote nothing. */
  hook: { state: string; at: number | null; transcript: string; reason: string };
}

/** The -F format for `list-panes -a`, matching parsePanes. */
export const PANE_FORMAT = [
  '#{session_name}',
  '#{pane_id}',
  '#{pane_pid}',
  '#{pane_dead}',
  '#{pane_dead_status}',
  '#{window_activity}',
  '#{session_created}',
  '#{pane_current_command}',
  ...FLEET_OPTIONS.map((o) => `#{@fleet_${o}}`),
  '#{pane_dead_signal}',
  '#{pid}',
  '#{session_activity}',
  '#{@fleet_state}',
  '#{@fleet_state_at}',
  '#{@fleet_transcript}',
  // Last: the hooks keep control characters out of it, and should one get in anyway, only this field is hurt.
  '#{@fleet_reason}',
].join(FS);

function int(s: string | undefined): number | null {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** Parse the output of `tmux list-panes -a -F PANE_FORMAT`. */
export function parsePanes(out: string): PaneInfo[] {
  const panes: PaneInfo[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split(FS);
    const fleet: Partial<Record<FleetOption, string>> = {};
    FLEET_OPTIONS.forEach((o, i) => {
      const v = f[8 + i];
      if (v !== undefined && v !== '') fleet[o] = v;
    });
    panes.push({
      session: f[0] ?? '',
      paneId: f[1] ?? '',
      pid: int(f[2]),
      dead: f[3] === '1',
      deadStatus: int(f[4]),
      activity: int(f[5]),
      sessionCreated: int(f[6]),
      currentCommand: f[7] ?? '',
      fleet,
      deadSignal: int(f[8 + FLEET_OPTIONS.length]),
      serverPid: int(f[9 + FLEET_OPTIONS.length]),
      sessionActivity: int(f[10 + FLEET_OPTIONS.length]),
      hook: {
        state: f[11 + FLEET_OPTIONS.length] ?? '',
        at: int(f[12 + FLEET_OPTIONS.length]),
        transcript: f[13 + FLEET_OPTIONS.length] ?? '',
        reason: f.slice(14 + FLEET_OPTIONS.length).join(FS),
      },
    });
  }
  return panes;
}

/** Parse `git status --porcelain=v1 -z` into paths (renames give the new path). */
export function parseStatusZ(out: string): { code: string; path: string }[] {
  const parts = out.split('\0');
  const entries: { code: string; path: string }[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.length < 4) continue;
    const code = p.slice(0, 2);
    entries.push({ code, path: p.slice(3) });
    if (code[0] === 'R' || code[0] === 'C') i++; // the next part is the original path
  }
  return entries;
}
