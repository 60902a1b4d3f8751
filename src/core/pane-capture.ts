/** One look at a pane as the dashboard's terminal view needs it: size, cursor, scrollback and screen. */
export interface PaneCapture {
  cols: number;
  rows: number;
  historySize: number;
  historyLimit: number;
  cursorX: number;
  cursorY: number;
  cursorVisible: boolean;
  alternate: boolean;
  /** Lines of history (oldest first), with SGR escapes: at most as many as asked for. */
  history: string[];
  /** The visible screen, exactly `rows` lines, with SGR escapes. */
  screen: string[];
}

/** What a capture reads about the pane before its lines (one display-message, matching parseCapture). */
export const CAPTURE_FORMAT = '#{history_size} #{history_limit} #{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on}';

/** `display-message -p CAPTURE_FORMAT` followed by `capture-pane -p -e -S -N` → a PaneCapture. */
export function parseCapture(out: string): PaneCapture {
  const lines = out.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [hs, hl, cols, rows, cx, cy, cflag, alt] = (lines.shift() ?? '').split(' ').map(Number);
  const height = rows ?? 0;
  const screen = lines.slice(Math.max(0, lines.length - height));
  while (screen.length < height) screen.push('');
  return {
    cols: cols ?? 80,
    rows: height,
    historySize: hs ?? 0,
    historyLimit: hl ?? 0,
    cursorX: cx ?? 0,
    cursorY: cy ?? 0,
    cursorVisible: cflag === 1,
    alternate: alt === 1,
    history: lines.slice(0, Math.max(0, lines.length - height)),
    screen,
  };
}
