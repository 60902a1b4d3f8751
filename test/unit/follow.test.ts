import { describe, expect, it } from 'vitest';
import { describeExit, historyDelta, paneChange, parseSnapshot, settledRows, SNAPSHOT_FORMAT, type PaneSnapshot } from '../../src/core/follow.js';
import { PIPE_REDRAW_MS, PipeFollowView, TerminalFollowView } from '../../src/ui/follow-view.js';

/** A pane of `height` rows: `rows` from the top, the rest blank; the cursor on the last row with text unless given. */
function snap(history: string[], rows: string[], opts: Partial<PaneSnapshot> & { height?: number } = {}): PaneSnapshot {
  const height = opts.height ?? 6;
  const screen = [...rows, ...Array<string>(Math.max(0, height - rows.length)).fill('')];
  return {
    historySize: opts.historySize ?? history.length,
    historyLimit: opts.historyLimit ?? 2000,
    history,
    screen,
    cursorY: opts.cursorY ?? Math.max(0, rows.length - 1),
    alternate: opts.alternate ?? false,
    dead: opts.dead ?? false,
    exitStatus: opts.exitStatus ?? null,
    exitSignal: opts.exitSignal ?? null,
  };
}

describe('historyDelta', () => {
  it('takes the lines the history grew by, checked against the old tail', () => {
    expect(historyDelta(snap(['a', 'b'], []), snap(['a', 'b', 'c', 'd'], []))).toEqual({ lines: ['c', 'd'], missed: 0, reset: false });
  });

  it('counts lines that were no longer in the window read as missed', () => {
    // 10 lines scrolled by, only the last 3 read.
    expect(historyDelta(snap(['a'], []), snap(['i', 'j', 'k'], [], { historySize: 11 }))).toEqual({ lines: ['i', 'j', 'k'], missed: 7, reset: false });
  });

  it('at history-limit (where tmux drops old lines in bulk) finds the old tail instead of counting', () => {
    const prev = snap(['x1', 'x2', 'x3', 'x4'], [], { historySize: 100, historyLimit: 100 });
    const next = snap(['x3', 'x4', 'n1', 'n2'], [], { historySize: 91, historyLimit: 100 });
    expect(historyDelta(prev, next)).toEqual({ lines: ['n1', 'n2'], missed: 0, reset: false });
  });

  it('a history that was cleared and written anew (an agent reprinting its transcript) yields only what is new', () => {
    const prev = snap(['t1', 't2', 't3', 't4'], []);
    const next = snap(['t1', 't2', 't3', 't4', 't5'], [], { historySize: 5 });
    // Same size growth as a plain append, but suppose the count was reset in between: no overlap check can tell, alignment does.
    expect(historyDelta(prev, { ...next, historySize: 3 })).toEqual({ lines: ['t5'], missed: 0, reset: false });
  });

  it('a history wiped and refilled with something else is a reset, not output', () => {
    expect(historyDelta(snap(['a', 'b', 'c'], []), snap(['p', 'q'], []))).toEqual({ lines: [], missed: 0, reset: true });
    expect(historyDelta(snap(['a', 'b', 'c'], []), snap([], []))).toEqual({ lines: [], missed: 0, reset: true });
  });
});

describe('paneChange', () => {
  it('output that scrolled the screen is output', () => {
    const prev = snap([], ['1', '2', '3', '4', '5', '6']);
    const next = snap(['1', '2'], ['3', '4', '5', '6', '7', '8']);
    expect(paneChange(prev, next)).toEqual({ scrolled: ['1', '2'], missed: 0, cleared: false });
  });

  it('old frames pushed into the history by a clear (ESC[2J) are not output', () => {
    // tmux moves a cleared screen into the history: frames 1..3 went there, frame 4 is on screen.
    const prev = snap([], ['frame 1', 'footer']);
    const next = snap(['frame 1', 'footer', 'frame 2', 'footer', 'frame 3', 'footer'], ['frame 4', 'footer']);
    expect(paneChange(prev, next)).toEqual({ scrolled: [], missed: 0, cleared: true });
  });

  it('switching to the alternate screen is a redraw', () => {
    expect(paneChange(snap([], ['$ vim']), snap([], ['~', '~'], { alternate: true })).cleared).toBe(true);
  });
});

describe('settledRows', () => {
  it('holds back the row the cursor is still writing (a \\r spinner)', () => {
    expect(settledRows(snap([], ['start', 'spinning 7']))).toEqual({ settled: ['start'], writing: 'spinning 7' });
  });
  it('rows above the cursor, or below it (a footer), are settled', () => {
    expect(settledRows(snap([], ['text', '> ', 'footer'], { cursorY: 1 }))).toEqual({ settled: ['text', '> ', 'footer'], writing: null });
  });
});

describe('parseSnapshot', () => {
  it('reads the facts line, the history tail and the screen, and drops control characters', () => {
    const facts = ['3', '2000', '3', '1', '0', '0', '', ''].join('\x1f');
    const out = `${facts}\nh1\nh2\x1b[31m\nMARK\nrow 1\x07\nrow 2   \n\n`;
    expect(parseSnapshot(out, 'MARK')).toEqual({
      historySize: 3, historyLimit: 2000, history: ['h1', 'h2[31m'], screen: ['row 1', 'row 2', ''],
      cursorY: 1, alternate: false, dead: false, exitStatus: null, exitSignal: null,
    });
  });
  it('ignores the row tmux returns for an empty history, and reads how the program ended', () => {
    const facts = ['0', '2000', '2', '0', '0', '1', '', '9'].join('\x1f');
    const s = parseSnapshot(`${facts}\nfirst row\nMARK\nfirst row\nPane is dead (signal 9, Mon)\n`, 'MARK')!;
    expect(s.history).toEqual([]);
    expect(s.screen).toEqual(['first row', '']);
    expect([s.dead, s.exitStatus, s.exitSignal]).toEqual([true, null, 9]);
  });
  it('refuses output of another shape', () => {
    expect(parseSnapshot('garbage\n', 'MARK')).toBeNull();
    expect(SNAPSHOT_FORMAT.split('\x1f')).toHaveLength(8);
  });
});

describe('describeExit', () => {
  it('says the code, or the signal', () => {
    expect(describeExit(5, null)).toBe('exited with code 5');
    expect(describeExit(null, 9)).toBe('was killed by signal 9 (code 137)');
    expect(describeExit(null, null)).toMatch(/exited/);
  });
});

/** Apply terminal output to a tiny screen model (cursor moves, erase, clipping): what the user sees. */
function terminal(rows: number, columns: number) {
  const lines: string[] = [];
  let y = 0;
  let x = 0;
  let wrap = true;
  const put = (ch: string) => {
    if (x >= columns) {
      if (!wrap) return;
      y++;
      x = 0;
    }
    lines[y] = (lines[y] ?? '').padEnd(x, ' ');
    lines[y] = lines[y]!.slice(0, x) + ch + lines[y]!.slice(x + 1);
    x++;
  };
  return {
    write(s: string) {
      for (let i = 0; i < s.length; i++) {
        const c = s[i]!;
        if (c === '\x1b') {
          const m = /^\x1b\[(\??)(\d*)([A-Za-z])/.exec(s.slice(i))!;
          i += m[0].length - 1;
          const n = Number(m[2] || '1');
          if (m[1] === '?' && m[2] === '7') wrap = m[3] === 'h';
          else if (m[3] === 'A') y = Math.max(0, y - n);
          else if (m[3] === 'K') lines[y] = (lines[y] ?? '').slice(0, x);
          else if (m[3] === 'J') {
            lines[y] = (lines[y] ?? '').slice(0, x);
            lines.length = y + 1;
          }
        } else if (c === '\r') x = 0;
        else if (c === '\n') {
          y++;
          x = 0;
        } else put(c);
      }
    },
    /** Every row written so far, scrollback included, trailing spaces trimmed. */
    text: () => lines.map((l) => (l ?? '').trimEnd()),
  };
}

describe('TerminalFollowView', () => {
  it('redraws a clear-and-redraw screen in place: one frame visible, the newest', () => {
    const term = terminal(10, 40);
    const view = new TerminalFollowView(() => ({ rows: 10, columns: 40 }));
    let prev = snap([], ['frame 1', 'counter 1', '', '> input', 'footer'], { cursorY: 3 });
    term.write(view.start(prev, 50));
    for (let i = 2; i <= 5; i++) {
      const pushed = [...prev.history, ...prev.screen.slice(0, 5)];
      const next = snap(pushed, [`frame ${i}`, `counter ${i}`, '', '> input', 'footer'], { cursorY: 3 });
      term.write(view.update(paneChange(prev, next), next));
      prev = next;
    }
    term.write(view.end());
    expect(term.text()).toEqual(['frame 5', 'counter 5', '', '> input', 'footer']);
  });

  it('prints lines that scroll off above the live region, once and in order', () => {
    const term = terminal(4, 40); // a region of 3 rows
    const view = new TerminalFollowView(() => ({ rows: 4, columns: 40 }));
    let prev = snap([], ['l1', 'l2'], { height: 5 });
    term.write(view.start(prev, 50));
    const all = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8'];
    for (const upto of [4, 5, 8]) {
      const shown = all.slice(0, upto);
      const history = shown.slice(0, Math.max(0, upto - 5));
      const next = snap(history, shown.slice(history.length), { height: 5 });
      term.write(view.update(paneChange(prev, next), next));
      prev = next;
    }
    term.write(view.end());
    expect(term.text()).toEqual(all);
  });

  it('clips rows to the terminal width instead of wrapping them', () => {
    const term = terminal(5, 10);
    const view = new TerminalFollowView(() => ({ rows: 5, columns: 10 }));
    term.write(view.start(snap([], ['x'.repeat(30), 'short']), 50));
    // One column short of the width: a character in the last column would be taken by the erase after it.
    expect(term.text()).toEqual(['x'.repeat(9), 'short']);
  });
});

describe('PipeFollowView', () => {
  function piped() {
    let now = 0;
    const view = new PipeFollowView(() => now);
    return { view, tick: (ms: number) => (now += ms) };
  }

  it('prints appended lines as they come', () => {
    const { view, tick } = piped();
    let out = view.start(snap([], ['a']), 50);
    const next = snap([], ['a', 'b', 'c', ''], { cursorY: 3 });
    tick(500);
    out += view.update(paneChange(snap([], ['a']), next), next);
    expect(out).toBe('a\nb\nc\n');
  });

  it('a \\r spinner: not a line per update, the newest value now and then and at the end', () => {
    const { view, tick } = piped();
    let prev = snap([], ['start', 'spinning 1']);
    let out = view.start(prev, 50);
    for (let i = 2; i <= 20; i++) {
      tick(500);
      const next = snap([], ['start', `spinning ${i * 10}`]);
      out += view.update(paneChange(prev, next), next);
      prev = next;
    }
    out += view.end(prev);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('start');
    expect(lines.at(-1)).toBe('spinning 200');
    // 19 updates over 9.5 s: at most one line per PIPE_REDRAW_MS, plus the last.
    expect(lines.length).toBeLessThanOrEqual(2 + Math.ceil(9_500 / PIPE_REDRAW_MS) + 1);
    expect(lines.length).toBeGreaterThan(3);
  });

  it('a redrawn screen: a marker and the rows from the first change, at most every PIPE_REDRAW_MS', () => {
    const { view, tick } = piped();
    const frame = (i: number) => snap([], ['header', `count ${i}`, '> ', 'footer'], { cursorY: 2 });
    let prev = frame(1);
    let out = view.start(prev, 50);
    tick(500);
    out += view.update(paneChange(prev, frame(2)), frame(2)); // too soon: held back
    prev = frame(2);
    expect(out).toBe('header\ncount 1\n> \nfooter\n');
    tick(PIPE_REDRAW_MS);
    out += view.update(paneChange(prev, frame(3)), frame(3));
    expect(out).toBe('header\ncount 1\n> \nfooter\n--- screen redrawn (its first 1 line unchanged, not repeated) ---\ncount 3\n> \nfooter\n');
  });

  it('lines that scrolled into the history after being printed are not printed again', () => {
    const { view, tick } = piped();
    const prev = snap([], ['1', '2', '3', '4', '5', ''], { cursorY: 5 });
    let out = view.start(prev, 50);
    const next = snap(['1', '2'], ['3', '4', '5', '6', '7', ''], { cursorY: 5 });
    tick(500);
    out += view.update(paneChange(prev, next), next);
    expect(out).toBe('1\n2\n3\n4\n5\n6\n7\n');
  });
});
