/**
 * `logs --follow`: what changed on an agent's pane between two looks. Pure: the looks
 * (PaneSnapshot) come from one tmux call each (tmux/sessions.ts snapshotPane).
 *
 * tmux keeps a pane as a history (lines that scrolled off the top, append-only until it is
 * cleared or trimmed at history-limit) and a screen (rows that programs rewrite at will). Output
 * that scrolls is new history; a spinner or a full-screen agent (Claude Code, Codex, gemini)
 * rewrites screen rows in place. Follow prints the first and redraws the second.
 */

/** One look at a pane: its facts, the tail of its history and its screen. */
export interface PaneSnapshot {
  /** Lines in the pane's history (tmux history_size). */
  historySize: number;
  /** tmux history-limit: at the limit, tmux drops old lines, so the size stops telling what is new. */
  historyLimit: number;
  /** The newest lines of the history, oldest first (at most as many as were asked for). */
  history: string[];
  /** The visible screen, one entry per row (all pane_height rows), trailing spaces trimmed. */
  screen: string[];
  /** The cursor's row. */
  cursorY: number;
  /** The program switched to the alternate screen (vim, less, full-screen TUIs): it has no history. */
  alternate: boolean;
  /** The pane's program has ended: with exit status `exitStatus`, or killed by signal `exitSignal` (tmux >= 3.3 tells). */
  dead: boolean;
  exitStatus: number | null;
  exitSignal: number | null;
}

/** What happened between two looks. */
export interface PaneChange {
  /** Lines that scrolled off the top of the screen since the last look: output, oldest first. */
  scrolled: string[];
  /** Lines that scrolled by but were no longer in the history tail that was read (too much output at once). */
  missed: number;
  /**
   * The screen was cleared (its rows pushed into the history by a clear, the history wiped or
   * rewritten) rather than scrolled: the history's new lines are old screens, not output.
   */
  cleared: boolean;
}

/** Rows of the screen down to the last one with text (trailing blank rows are not content). */
export function usedRows(screen: readonly string[]): string[] {
  let end = screen.length;
  while (end > 0 && screen[end - 1]!.trim() === '') end--;
  return screen.slice(0, end);
}

/** How many leading entries `a` and `b` share. */
export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** `lines` begins with `prefix`. */
export function startsWith(lines: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= lines.length && commonPrefix(lines, prefix) === prefix.length;
}

/** Lines compared to check that the history only grew at its end. */
const OVERLAP = 8;

/**
 * The lines added to the history since `prev`. Usually the count says it (history_size grew by
 * d: its last d lines), checked against the lines just before them. At history-limit tmux drops
 * a tenth of the oldest lines at once, and a clear (`ESC[3J`, clear-history) empties it; then
 * the old tail is looked for in the new one. `reset` when it cannot be found: the history was
 * rewritten and what it holds now is not new output.
 */
export function historyDelta(prev: PaneSnapshot, next: PaneSnapshot): { lines: string[]; missed: number; reset: boolean } {
  const d = next.historySize - prev.historySize;
  const atLimit = next.historySize >= next.historyLimit || prev.historySize >= prev.historyLimit;
  if (d === 0 && !atLimit) return { lines: [], missed: 0, reset: false };
  if (d > 0 && !atLimit) {
    const keep = next.history.length - d;
    if (keep < 0) return { lines: [...next.history], missed: -keep, reset: false };
    const check = Math.min(keep, prev.history.length, OVERLAP);
    if (startsWith(next.history.slice(keep - check, keep), prev.history.slice(prev.history.length - check))) {
      return { lines: next.history.slice(keep), missed: 0, reset: false };
    }
  }
  if (next.historySize === 0) return { lines: [], missed: 0, reset: prev.historySize > 0 };
  const at = findTail(prev.history, next.history);
  if (at !== null) return { lines: next.history.slice(at), missed: 0, reset: false };
  return { lines: [], missed: 0, reset: true };
}

/**
 * Where `prev`'s last lines end in `next` (searching from the end), or null. The run looked for
 * must hold some text: blank lines alone line up anywhere.
 */
function findTail(prev: readonly string[], next: readonly string[]): number | null {
  // Longest run first: a short one (a lone "}") may also match somewhere it does not belong.
  for (let len = Math.min(OVERLAP, prev.length); len >= 1; len--) {
    const tail = prev.slice(prev.length - len);
    if (tail.every((l) => l.trim() === '')) continue;
    for (let end = next.length; end >= len; end--) {
      if (startsWith(next.slice(end - len, end), tail)) return end;
    }
  }
  return null;
}

/**
 * What changed from `prev` to `next`. tmux pushes a screen into the history when a program
 * clears it (`ESC[2J`), so a program that redraws by clearing fills the history with its old
 * frames. Those are recognised by their shape: the new history lines start with the whole old
 * screen, and the new screen is not full (scrolling output always leaves the screen full, the
 * cursor on its last row). Full-height frames drawn by clearing the main screen cannot be told
 * from output; full-screen programs normally use the alternate screen, which has no history.
 */
export function paneChange(prev: PaneSnapshot, next: PaneSnapshot): PaneChange {
  const delta = historyDelta(prev, next);
  if (delta.reset) return { scrolled: [], missed: 0, cleared: true };
  // Into or out of the alternate screen: a different screen, not a scroll.
  if (prev.alternate !== next.alternate && delta.lines.length === 0 && delta.missed === 0) return { scrolled: [], missed: 0, cleared: true };
  const screenNotFull = usedRows(next.screen).length < next.screen.length && next.cursorY < next.screen.length - 1;
  if (screenNotFull && delta.lines.length > 0 && beginsWithScreen(delta.lines, usedRows(prev.screen))) return { scrolled: [], missed: 0, cleared: true };
  return { scrolled: delta.lines, missed: delta.missed, cleared: false };
}

/**
 * The history's new lines begin with the old screen: what a clear pushes. The old look may have
 * caught a frame half drawn (its last row partly written, or a blank screen just cleared).
 */
function beginsWithScreen(lines: readonly string[], screen: readonly string[]): boolean {
  if (screen.length === 0) return true;
  const last = screen.length - 1;
  return lines.length >= screen.length && startsWith(lines, screen.slice(0, last)) && lines[last]!.startsWith(screen[last]!);
}

/**
 * The screen split for a reader of a pipe: rows that are done, and the row the cursor is on when
 * it is the last one with text (a line still being written: a `\r` spinner, a progress bar, a
 * prompt), which is shown now and then rather than on every change.
 */
export function settledRows(snap: PaneSnapshot): { settled: string[]; writing: string | null } {
  const rows = usedRows(snap.screen);
  if (rows.length > 0 && snap.cursorY === rows.length - 1 && !snap.dead) return { settled: rows.slice(0, -1), writing: rows[rows.length - 1]! };
  return { settled: rows, writing: null };
}

/** C0 and C1 control characters: never sent on to the user's terminal (an agent's output may be hostile). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `line` without control characters (tmux keeps none in a pane's cells; this is the guarantee). */
export function stripControls(line: string): string {
  return line.replace(CONTROL, '');
}

/** Field separator of the snapshot's format line. */
const SEP = '\x1f';

/** The tmux format of a snapshot's first line (parsed by parseSnapshot). */
export const SNAPSHOT_FORMAT = [
  '#{history_size}', '#{history_limit}', '#{pane_height}', '#{cursor_y}', '#{alternate_on}',
  '#{pane_dead}', '#{pane_dead_status}', '#{pane_dead_signal}',
].join(SEP);

/**
 * Parse the output of `display-message -p SNAPSHOT_FORMAT; capture-pane (history tail);
 * display-message -p MARK; capture-pane (screen)`. `mark` is a random line that separates the two
 * captures (an agent cannot print it, not knowing it). Null when the output is not of that shape.
 */
export function parseSnapshot(out: string, mark: string): PaneSnapshot | null {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const facts = (lines[0] ?? '').split(SEP);
  if (facts.length !== 8) return null;
  const [historySize, historyLimit, height, cursorY] = facts.slice(0, 4).map(Number) as [number, number, number, number];
  const split = lines.lastIndexOf(mark);
  if (split === -1 || ![historySize, historyLimit, height, cursorY].every(Number.isFinite)) return null;
  const clean = (l: string) => stripControls(l).trimEnd();
  // Asked for history with no history, tmux returns the screen's first row instead: ignore it.
  const history = historySize === 0 ? [] : lines.slice(1, split).slice(-historySize).map(clean);
  const screen = lines.slice(split + 1).map(clean);
  const dead = facts[5] === '1';
  // remain-on-exit writes "Pane is dead (status N, <date>)" on the screen: fleet says it itself.
  if (dead) {
    const last = usedRows(screen).length - 1;
    if (last >= 0 && /^Pane is dead\b/.test(screen[last]!)) screen[last] = '';
  }
  const status = facts[6] === '' ? null : Number(facts[6]);
  const signal = facts[7] === '' ? null : Number(facts[7]);
  return {
    historySize,
    historyLimit: historyLimit > 0 ? historyLimit : Infinity,
    history,
    screen,
    cursorY,
    alternate: facts[4] === '1',
    dead,
    exitStatus: status !== null && Number.isFinite(status) ? status : null,
    exitSignal: signal !== null && Number.isFinite(signal) ? signal : null,
  };
}

/** How an ended agent ended, for a note: "exited with code 5", "was killed by signal 9 (code 137)". */
export function describeExit(status: number | null, signal: number | null): string {
  if (status !== null) return `exited with code ${status}`;
  if (signal !== null) return `was killed by signal ${signal} (code ${128 + signal})`;
  return 'exited (tmux did not say with what code)';
}
