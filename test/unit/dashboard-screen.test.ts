import { describe, expect, it } from 'vitest';
import { ScreenMirrors, frameBetween, resetFrame, shiftOf } from '../../src/web/screen.js';
import type { PaneCapture } from '../../src/core/pane-capture.js';

function cap(screen: string[], history: string[] = [], extra: Partial<PaneCapture> = {}): PaneCapture {
  return {
    cols: 20, rows: screen.length, historySize: history.length, historyLimit: 2000,
    cursorX: 0, cursorY: 0, cursorVisible: true, alternate: false, history, screen, ...extra,
  };
}

/**
 * A tiny terminal: enough of what xterm does with our frames (RIS, home, erase line, CR/LF
 * scrolling into scrollback, cursor moves, mode switches) to check what a viewer ends up seeing.
 */
function emulate(rows: number, frames: string[]): { scrollback: string[]; screen: string[] } {
  let scrollback: string[] = [];
  let screen = Array.from({ length: rows }, () => '');
  let y = 0;
  for (const data of frames) {
    const tokens = data.split(/(\x1bc|\x1b\[[0-9;?]*[A-Za-z]|\r\n)/).filter((t) => t !== '');
    for (const t of tokens) {
      if (t === '\x1bc') {
        scrollback = [];
        screen = screen.map(() => '');
        y = 0;
      } else if (t === '\r\n') {
        if (y === rows - 1) {
          scrollback.push(screen.shift()!);
          screen.push('');
        } else y++;
      } else if (t === '\x1b[H') y = 0;
      else if (t === '\x1b[2K') screen[y] = '';
      else if (/^\x1b\[\d+;\d+H$/.test(t)) y = Number(/\[(\d+)/.exec(t)![1]) - 1;
      else if (t.startsWith('\x1b[')) continue; // SGR, modes
      else screen[y] += t;
    }
  }
  return { scrollback, screen };
}

describe('terminal frames', () => {
  it('a reset puts the history into scrollback and the screen on screen', () => {
    const c = cap(['$ a', '$ b'], ['old 1', 'old 2', 'old 3']);
    const f = resetFrame(c);
    expect(f.kind).toBe('reset');
    expect(emulate(2, [f.data])).toEqual({ scrollback: ['old 1', 'old 2', 'old 3'], screen: ['$ a', '$ b'] });
  });

  it('an update scrolls the lines that left the screen into scrollback, then draws the new screen', () => {
    const a = cap(['l3', 'l4'], ['l1', 'l2']);
    const b = cap(['l6', 'l7'], ['l1', 'l2', 'l3', 'l4', 'l5']);
    const f = frameBetween(a, b)!;
    expect(f.kind).toBe('update');
    const seen = emulate(2, [resetFrame(a).data, f.data]);
    expect(seen).toEqual({ scrollback: ['l1', 'l2', 'l3', 'l4', 'l5'], screen: ['l6', 'l7'] });
  });

  it('sends nothing when nothing changed, and redraws in place when only the screen changed', () => {
    const a = cap(['> typing', ''], ['h']);
    expect(frameBetween(a, cap(['> typing', ''], ['h']))).toBeNull();
    const f = frameBetween(a, cap(['> typing more', ''], ['h']))!;
    expect(emulate(2, [resetFrame(a).data, f.data])).toEqual({ scrollback: ['h'], screen: ['> typing more', ''] });
  });

  it('at the history limit, lines up the history to tell how far it scrolled', () => {
    expect(shiftOf(['a', 'b', 'c'], ['b', 'c', 'd'])).toBe(1);
    expect(shiftOf(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(0);
    expect(shiftOf(['a', 'b', 'c'], ['x', 'y', 'z'])).toBe(3);
    const a = cap(['s1', 's2'], ['a', 'b', 'c'], { historySize: 3, historyLimit: 3 });
    const b = cap(['s3', 's4'], ['c', 's1', 's2'], { historySize: 3, historyLimit: 3 });
    const f = frameBetween(a, b)!;
    expect(emulate(2, [resetFrame(a).data, f.data])).toEqual({ scrollback: ['a', 'b', 'c', 's1', 's2'], screen: ['s3', 's4'] });
  });

  it('starts over after a resize, a switch to the alternate screen, or cleared history', () => {
    const a = cap(['x', 'y'], ['h1', 'h2']);
    expect(frameBetween(a, cap(['x', 'y'], ['h1', 'h2'], { cols: 30 }))!.kind).toBe('reset');
    expect(frameBetween(a, cap(['x', 'y'], ['h1', 'h2'], { alternate: true }))!.kind).toBe('reset');
    expect(frameBetween(a, cap(['x', 'y'], []))!.kind).toBe('reset');
  });
});

describe('ScreenMirrors', () => {
  it('asks for the whole history once per new viewer, gives it a reset, and the others only what changed', () => {
    const mirrors = new ScreenMirrors({ historyLines: 50 });
    const a: string[] = [];
    const b: string[] = [];
    const stopA = mirrors.watch('s', (e) => e.type === 'frame' && a.push(e.frame.kind));
    expect(mirrors.wanted()).toEqual(new Map([['s', 'all']]));
    mirrors.deliver('s', cap(['one']));
    expect(a).toEqual(['reset']);
    expect(mirrors.wanted()).toEqual(new Map([['s', 50]]));
    mirrors.deliver('s', cap(['one']));
    expect(a).toEqual(['reset']); // nothing changed, nothing sent

    const stopB = mirrors.watch('s', (e) => e.type === 'frame' && b.push(e.frame.kind));
    expect(mirrors.wanted()).toEqual(new Map([['s', 'all']]));
    mirrors.deliver('s', cap(['two']));
    expect(a).toEqual(['reset', 'update']);
    expect(b).toEqual(['reset']);
    mirrors.wanted();
    mirrors.deliver('s', cap(['three']));
    expect(a).toEqual(['reset', 'update', 'update']);
    expect(b).toEqual(['reset', 'update']);
    expect(mirrors.polling).toBe(1);
    stopA();
    expect(mirrors.polling).toBe(1);
    stopB();
    expect(mirrors.polling).toBe(0);
    expect(mirrors.wanted()).toEqual(new Map());
  });

  it('a viewer that arrives while a look is under way gets its reset from the next one', () => {
    const mirrors = new ScreenMirrors({ historyLines: 5 });
    const a: string[] = [];
    mirrors.watch('s', (e) => e.type === 'frame' && a.push(e.frame.kind));
    mirrors.wanted();
    mirrors.deliver('s', cap(['x']));
    mirrors.wanted(); // a look starts, reading 5 lines of history
    const b: string[] = [];
    mirrors.watch('s', (e) => e.type === 'frame' && b.push(e.frame.kind));
    mirrors.deliver('s', cap(['y'])); // that look ends
    expect(b).toEqual([]);
    expect(mirrors.wanted().get('s')).toBe('all');
    mirrors.deliver('s', cap(['y']));
    expect(b).toEqual(['reset']);
  });

  it('tells the viewers when the pane is gone, and forgets it', () => {
    const mirrors = new ScreenMirrors({ historyLines: 10 });
    const events: unknown[] = [];
    mirrors.watch('s', (e) => events.push(e));
    mirrors.wanted();
    mirrors.deliver('s', { error: 'the tmux session "s" is gone', hint: 'fleet prune' });
    expect(events).toEqual([{ type: 'gone', message: 'the tmux session "s" is gone', hint: 'fleet prune' }]);
    expect(mirrors.polling).toBe(0);
  });
});
