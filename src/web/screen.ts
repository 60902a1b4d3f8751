/**
 * Live terminal views. For each agent someone is looking at, one poller reads its tmux pane
 * (screen, cursor, the last lines of scrollback: one `capture-pane -e` call) and sends every
 * viewer the same frame, only when something changed. A frame is terminal output for xterm.js:
 * a reset (the whole scrollback and screen) for a new viewer or after a resize, otherwise an
 * update that scrolls the lines that left the screen into xterm's scrollback and redraws the
 * screen. Nothing is polled for agents nobody views.
 */
import type { PaneCapture } from '../core/pane-capture.js';

export interface Frame {
  kind: 'reset' | 'update';
  cols: number;
  rows: number;
  /** Bytes for term.write(). */
  data: string;
}

export type ScreenEvent = { type: 'frame'; frame: Frame } | { type: 'gone'; message: string; hint?: string };

const ESC = '\x1b';
// Each line starts from default attributes on a blank line; autowrap off, so a line never spills.
const LINE = `${ESC}[0m${ESC}[2K`;

function paintLines(lines: readonly string[]): string {
  return lines.map((l) => LINE + l).join('\r\n');
}

function cursorOf(c: PaneCapture): string {
  return `${ESC}[0m${ESC}[${c.cursorY + 1};${c.cursorX + 1}H${ESC}[?25${c.cursorVisible ? 'h' : 'l'}`;
}

/** Everything: RIS, then history and screen written top-down, so the history lands in xterm's scrollback. */
export function resetFrame(c: PaneCapture): Frame {
  return { kind: 'reset', cols: c.cols, rows: c.rows, data: `${ESC}c${ESC}[?7l${ESC}[H${paintLines([...c.history, ...c.screen])}${cursorOf(c)}` };
}

/**
 * How many lines scrolled into a full history between two looks: `next` is `prev` shifted up
 * by k lines with k new ones at the bottom. The smallest such k, or null when none fits.
 */
export function shiftOf(prev: readonly string[], next: readonly string[]): number | null {
  if (prev.length !== next.length) return null;
  const n = prev.length;
  for (let k = 0; k <= n; k++) {
    let ok = true;
    for (let i = 0; i + k < n && ok; i++) ok = prev[i + k] === next[i];
    if (ok) return k;
  }
  return null;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/**
 * The frame that takes a viewer who has seen `prev` to `next`, or null when nothing changed.
 * Both captures hold the same number of history lines (the last N). Pure.
 */
export function frameBetween(prev: PaneCapture | null, next: PaneCapture): Frame | null {
  if (!prev || prev.cols !== next.cols || prev.rows !== next.rows || prev.alternate !== next.alternate) return resetFrame(next);
  if (next.historySize < prev.historySize) return resetFrame(next); // history cleared
  let k: number | null;
  if (next.historyLimit > 0 && next.historySize >= next.historyLimit) {
    // At the limit the size stops growing while lines still scroll: line them up instead.
    k = shiftOf(prev.history, next.history);
  } else {
    k = next.historySize - prev.historySize;
  }
  if (k === null || k > next.history.length) return resetFrame(next);
  const cursorSame = prev.cursorX === next.cursorX && prev.cursorY === next.cursorY && prev.cursorVisible === next.cursorVisible;
  if (k === 0 && cursorSame && sameLines(prev.screen, next.screen)) return null;
  const scrolled = k === 0 ? [] : next.history.slice(next.history.length - k);
  return { kind: 'update', cols: next.cols, rows: next.rows, data: `${ESC}[H${paintLines([...scrolled, ...next.screen])}${cursorOf(next)}` };
}

export interface MirrorOptions {
  /** Lines of history read on each look (lines that scroll faster than this between looks cause a reset). */
  historyLines: number;
}

type Viewer = (e: ScreenEvent) => void;
export type Delivered = PaneCapture | { error: string; hint?: string };

interface Mirror {
  viewers: Set<Viewer>;
  /** Viewers that still need a reset (new ones). */
  joining: Set<Viewer>;
  /** Viewers whose reset the capture being made will bring (it reads the whole history). */
  resetting: Set<Viewer>;
  last: PaneCapture | null;
}

/**
 * The viewers of each pane, and the frames they get. It reads nothing itself: the refresh loop
 * (live.ts) asks which panes are wanted, reads them in its one tmux call, and delivers them here.
 */
export class ScreenMirrors {
  private readonly mirrors = new Map<string, Mirror>();
  /** Captures delivered (for tests and the benchmark). */
  captures = 0;

  constructor(
    private readonly opts: MirrorOptions,
    /** Called when a pane gains a viewer: the loop should look soon. */
    private readonly onWatch: () => void = () => undefined,
  ) {}

  /** Start sending `session`'s frames to `viewer`; the returned function stops. */
  watch(session: string, viewer: Viewer): () => void {
    let m = this.mirrors.get(session);
    if (!m) {
      m = { viewers: new Set(), joining: new Set(), resetting: new Set(), last: null };
      this.mirrors.set(session, m);
    }
    m.viewers.add(viewer);
    m.joining.add(viewer);
    const mirror = m;
    this.onWatch();
    return () => {
      mirror.viewers.delete(viewer);
      mirror.joining.delete(viewer);
      mirror.resetting.delete(viewer);
      if (mirror.viewers.size === 0 && this.mirrors.get(session) === mirror) this.mirrors.delete(session);
    };
  }

  /** How many panes have viewers. */
  get polling(): number {
    return this.mirrors.size;
  }

  /** The panes to read on this look: session → lines of history ('all' when a new viewer needs its reset). */
  wanted(): Map<string, number | 'all'> {
    const out = new Map<string, number | 'all'>();
    for (const [session, m] of this.mirrors) {
      for (const v of m.joining) m.resetting.add(v);
      m.joining.clear();
      out.set(session, m.resetting.size > 0 ? 'all' : this.opts.historyLines);
    }
    return out;
  }

  /** A look at `session` (or why there is none): frames to its viewers, if anything changed. */
  deliver(session: string, c: Delivered): void {
    const m = this.mirrors.get(session);
    if (!m) return;
    if ('error' in c) {
      for (const v of m.viewers) v({ type: 'gone', message: c.error, hint: c.hint });
      this.mirrors.delete(session);
      return;
    }
    this.captures++;
    const fresh = new Set(m.resetting);
    m.resetting.clear();
    const windowed: PaneCapture = { ...c, history: c.history.slice(Math.max(0, c.history.length - this.opts.historyLines)) };
    const frame = frameBetween(m.last, windowed);
    m.last = windowed;
    // Viewers still waiting for their reset get nothing before it.
    if (frame) for (const v of m.viewers) if (!fresh.has(v) && !m.joining.has(v)) v({ type: 'frame', frame });
    if (fresh.size > 0) {
      const reset = resetFrame(c);
      for (const v of fresh) if (m.viewers.has(v)) v({ type: 'frame', frame: reset });
    }
  }
}
