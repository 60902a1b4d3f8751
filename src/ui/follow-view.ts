/**
 * How `logs --follow` shows a pane: on a terminal, the pane's screen redrawn in place below
 * the lines that scrolled off it; in a pipe, readable text (new lines as they come, a marked
 * redraw when rows already printed change). Both only build strings; the caller writes them.
 */
import { plural } from '../core/format.js';
import { commonPrefix, settledRows, startsWith, usedRows, type PaneChange, type PaneSnapshot } from '../core/follow.js';

/** A follow view: the first look, each later look with what changed, and the end. */
export interface FollowView {
  start(snap: PaneSnapshot, lines: number): string;
  update(change: PaneChange, snap: PaneSnapshot): string;
  end(snap: PaneSnapshot | null): string;
}

/** The last `n` of the history's and the screen's lines, as plain `fleet logs` prints them. */
function lastLines(snap: PaneSnapshot, n: number): string[] {
  return [...snap.history, ...usedRows(snap.screen)].slice(-n);
}

const CSI = '\x1b[';
const SYNC_START = `${CSI}?2026h`; // synchronized output: the terminal shows the redraw whole (others ignore it)
const SYNC_END = `${CSI}?2026l`;
const WRAP_OFF = `${CSI}?7l`; // long rows are clipped, not wrapped, so the region's height stays known
const WRAP_ON = `${CSI}?7h`;
const CURSOR_HIDE = `${CSI}?25l`;
const CURSOR_SHOW = `${CSI}?25h`;
const ERASE_DOWN = `${CSI}J`;
const ERASE_LINE = `${CSI}K`;

/**
 * On a terminal. The live region is the bottom of the pane's screen (as many rows as fit); it is
 * redrawn in place when it changes. Rows that leave it — scrolled into the pane's history, or
 * pushed up out of the region as the screen fills — are printed above it once, like a terminal's
 * scrollback. A screen that was cleared and redrawn (a full-screen agent) only redraws the region.
 */
export class TerminalFollowView implements FollowView {
  /** Terminal rows the live region takes now (the cursor sits at the end of its last row). */
  private drawn = 0;
  /** Top rows of the pane's current screen already printed above the region. */
  private committed = 0;
  private live: string[] = [];
  private screen: string[] = [];
  private alternate = false;

  constructor(private readonly size: () => { rows: number; columns: number }) {}

  private window(): number {
    return Math.max(1, this.size().rows - 1);
  }

  start(snap: PaneSnapshot, lines: number): string {
    const rows = usedRows(snap.screen);
    this.committed = Math.max(0, rows.length - this.window());
    const live = rows.slice(this.committed);
    const room = lines - live.length;
    const above = room > 0 ? [...snap.history, ...rows.slice(0, this.committed)].slice(-room) : [];
    this.screen = rows;
    this.alternate = snap.alternate;
    return CURSOR_HIDE + this.draw(above, live);
  }

  update(change: PaneChange, snap: PaneSnapshot): string {
    const rows = usedRows(snap.screen);
    const above: string[] = [];
    if (change.cleared || snap.alternate || this.alternate) {
      // Old frames, not output (or the alternate screen, which scrolls into nothing): the new
      // screen is shown, and rows above the region count as seen.
      this.committed = Math.max(0, rows.length - this.window());
    } else {
      if (change.missed > 0) above.push(`[… ${change.missed} more lines scrolled by]`);
      // Rows already printed above the region that have now scrolled into the history are not printed again.
      const skip = change.missed > 0 ? 0 : commonPrefix(change.scrolled, this.screen.slice(0, this.committed));
      above.push(...change.scrolled.slice(skip));
      this.committed = Math.max(0, Math.min(this.committed - change.scrolled.length - change.missed, rows.length));
      const top = Math.max(this.committed, rows.length - this.window());
      above.push(...rows.slice(this.committed, top));
      this.committed = top;
    }
    this.screen = rows;
    this.alternate = snap.alternate;
    const live = rows.slice(this.committed);
    if (above.length === 0 && live.length === this.live.length && startsWith(live, this.live)) return '';
    return this.draw(above, live);
  }

  end(): string {
    return (this.drawn > 0 ? '\n' : '') + CURSOR_SHOW;
  }

  /**
   * Back to the region's first row, print `above` (wrapping), then the region (clipped). Each row
   * is cleared to its end as it is written and the rest of the screen after the last one. Never
   * an erase from the top-left corner: tmux (and some terminals) push the whole screen into the
   * scrollback then, so a follow inside tmux would fill its history with copies of the screen.
   */
  private draw(above: readonly string[], live: readonly string[]): string {
    const columns = Math.max(1, this.size().columns);
    let out = SYNC_START;
    if (this.drawn > 0) out += '\r' + (this.drawn > 1 ? `${CSI}${this.drawn - 1}A` : '');
    // Erase what is left of the old row after the text, unless the text filled its last row
    // (then the cursor waits in the last column and an erase would take that character).
    for (const l of above) out += `${l}${[...l].length % columns === 0 && l !== '' ? '' : ERASE_LINE}\n`;
    // Cut short of the last column, for the same reason; wide characters may still overflow,
    // which the terminal then clips (wrap is off) instead of wrapping onto an uncounted row.
    const rows = live.map((l) => [...l].slice(0, Math.max(1, columns - 1)).join(''));
    // The cursor must not end in column 0 (the corner, for a one-row region at the top).
    if (rows.length === 0 || rows[rows.length - 1] === '') rows[Math.max(0, rows.length - 1)] = ' ';
    out += WRAP_OFF + rows.map((r) => r + ERASE_LINE).join('\n') + ERASE_DOWN + WRAP_ON;
    out += SYNC_END;
    this.live = [...live];
    this.drawn = rows.length;
    return out;
  }
}

/** In a pipe, a screen that keeps changing is printed at most this often. */
export const PIPE_REDRAW_MS = 2_000;

/**
 * Into a pipe or a file: text to read, not a terminal to draw on. Lines that appear below what
 * was printed are printed as they come. When rows already printed change (a full-screen agent
 * redraws, a status line updates), a marker line and the screen from the first changed row down
 * are printed, at most every PIPE_REDRAW_MS. The row still being written (a `\r` spinner, a
 * progress bar) is printed at most that often too, and once more when it is done.
 */
export class PipeFollowView implements FollowView {
  /** The screen as the reader has it: the rows printed, top down. */
  private shown: string[] = [];
  /** The row being written when it was last printed, and when. */
  private writing: string | null = null;
  private writingAt = 0;
  private redrawnAt = -Infinity;
  private pending = false;

  constructor(private readonly now: () => number = Date.now) {}

  start(snap: PaneSnapshot, lines: number): string {
    const { settled, writing } = settledRows(snap);
    this.shown = settled;
    this.writing = writing;
    this.writingAt = this.redrawnAt = this.now();
    return joinLines(lastLines(snap, lines));
  }

  update(change: PaneChange, snap: PaneSnapshot): string {
    const out: string[] = [];
    if (!change.cleared) {
      if (change.missed > 0) out.push(`[… ${change.missed} more lines scrolled by]`);
      const skip = change.missed > 0 ? 0 : commonPrefix(change.scrolled, this.shown);
      out.push(...change.scrolled.slice(skip));
      this.shown = this.shown.slice(Math.min(change.scrolled.length + change.missed, this.shown.length));
    }
    out.push(...this.screenLines(snap, false));
    return joinLines(out);
  }

  end(snap: PaneSnapshot | null): string {
    return snap ? joinLines(this.screenLines(snap, true)) : '';
  }

  /** What to print of the screen now; `flush` prints a pending redraw and the row being written whatever the time. */
  private screenLines(snap: PaneSnapshot, flush: boolean): string[] {
    const now = this.now();
    const { settled, writing } = settledRows(snap);
    const out: string[] = [];
    if (startsWith(settled, this.shown)) {
      let fresh = settled.slice(this.shown.length);
      // The row printed while it was being written, now done as it was: not again.
      if (fresh[0] !== undefined && fresh[0] === this.writing) fresh = fresh.slice(1);
      out.push(...fresh);
      if (fresh.length > 0 || settled.length > this.shown.length) this.writing = null;
      this.shown = settled;
      this.pending = false;
    } else if (flush || now - this.redrawnAt >= PIPE_REDRAW_MS) {
      const same = commonPrefix(this.shown, settled);
      const rest = usedRows(snap.screen).slice(same);
      if (rest.length > 0) {
        out.push(same > 0 ? `--- screen redrawn (its first ${plural(same, 'line')} unchanged, not repeated) ---` : '--- screen redrawn ---', ...rest);
        this.writing = writing;
        this.writingAt = now;
        this.redrawnAt = now;
      }
      this.shown = settled;
      this.pending = false;
    } else {
      this.pending = true;
    }
    if (!this.pending && writing !== null && writing !== this.writing && (flush || now - this.writingAt >= PIPE_REDRAW_MS)) {
      out.push(writing);
      this.writing = writing;
      this.writingAt = now;
    }
    return out;
  }
}

function joinLines(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}
