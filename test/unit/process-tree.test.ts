import { describe, expect, it } from 'vitest';
import { descendants, parseProcessTable, treeOf } from '../../src/core/process-tree.js';
import { MAX_WINDOW_MS, MIN_WINDOW_MS, parseProcStat, readProcStats, recordSamples, treeUsage, type ProcStat, type SampleBook } from '../../src/ops/metrics.js';

// Captured from `ps -A -o pid=,ppid=` (procps-ng), trimmed: right-aligned pids, no header.
const PS = [
  '      1       0',
  '      2       0',
  '    812       1',
  '   4242     812', // tmux server
  '   4300    4242', // pane: the agent
  '   4301    4300', //   its node child
  '   4302    4301', //     a grandchild
  '   4310    4300', //   a second child
  '   4400    4242', // another pane
  '   9999       1',
  'garbage line',
  '',
].join('\n');

describe('parseProcessTable', () => {
  it('reads pid and parent of every line and skips what is not two numbers', () => {
    const t = parseProcessTable(PS);
    expect(t.parent.size).toBe(10);
    expect(t.parent.get(4301)).toBe(4300);
    expect(t.children.get(4300)).toEqual([4301, 4310]);
    expect(t.children.get(0)).toEqual([1, 2]);
  });
});

describe('descendants', () => {
  const t = parseProcessTable(PS);
  it('gives children and grandchildren, not the pid itself, breadth first', () => {
    expect(descendants(t, 4300)).toEqual([4301, 4310, 4302]);
  });
  it('stops at the tree: siblings and parents are not included', () => {
    expect(descendants(t, 4400)).toEqual([]);
    expect(descendants(t, 4301)).toEqual([4302]);
  });
  it('survives a cycle (a pid reused while ps was reading)', () => {
    const cyc = parseProcessTable('10 11\n11 10\n12 11\n');
    expect(descendants(cyc, 10).sort()).toEqual([11, 12]);
  });
});

describe('treeOf', () => {
  const t = parseProcessTable(PS);
  it('is the root followed by its descendants', () => {
    expect(treeOf(t, 4300)).toEqual([4300, 4301, 4310, 4302]);
  });
  it('is empty for a pid that is not in the table (the process ended)', () => {
    expect(treeOf(t, 5555)).toEqual([]);
  });
});

describe('treeUsage', () => {
  const now = 1_000_000_000;
  const stat = (pid: number, ctime: number, startAgo: number, memory = 1000): ProcStat => ({ pid, ctime, start: now - startAgo, memory });

  it('sums memory over the whole tree', () => {
    const u = treeUsage([stat(1, 0, 10_000, 5_000_000), stat(2, 0, 5_000, 70_000_000)], {}, now);
    expect(u.memory).toBe(75_000_000);
    expect(u.processes).toBe(2);
  });

  it('without a baseline, averages each process over its lifetime', () => {
    // root: 1 s of CPU in 10 s; child: 4 s in 4 s (a busy core)
    const u = treeUsage([stat(1, 1_000, 10_000), stat(2, 4_000, 4_000)], {}, now);
    expect(u.cpu).toBe(110);
  });

  it('with a baseline, counts only the CPU time used since it', () => {
    const book: SampleBook = { '1': [{ start: now - 600_000, ctime: 300_000, at: now - 2_000 }] };
    // 300 s of CPU in its first 10 min (a lifetime average of ~50%), idle for the last 2 s
    expect(treeUsage([stat(1, 300_000, 600_000)], book, now)).toMatchObject({ cpu: 0, windowed: true });
    expect(treeUsage([stat(1, 300_000, 600_000)], {}, now)).toMatchObject({ cpu: 50, windowed: false });
    // busy for the last 2 s: 100%
    expect(treeUsage([stat(1, 302_000, 600_000)], book, now).cpu).toBe(100);
  });

  it('counts a child born after the baseline over the same window', () => {
    const book: SampleBook = { '1': [{ start: now - 600_000, ctime: 0, at: now - 2_000 }] };
    const u = treeUsage([stat(1, 0, 600_000), stat(2, 1_000, 1_500)], book, now);
    expect(u.cpu).toBe(50);
  });

  it('ignores a baseline of another process that had the same pid', () => {
    const book: SampleBook = { '1': [{ start: now - 900_000, ctime: 50, at: now - 2_000 }] };
    expect(treeUsage([stat(1, 2_000, 4_000)], book, now).cpu).toBe(50); // lifetime: 2 s in 4 s
  });

  it('ignores a baseline too young to measure, or too old to mean "now"', () => {
    const young: SampleBook = { '1': [{ start: now - 10_000, ctime: 4_900, at: now - MIN_WINDOW_MS / 2 }] };
    expect(treeUsage([stat(1, 5_000, 10_000)], young, now).cpu).toBe(50);
    const old: SampleBook = { '1': [{ start: now - 3_600_000, ctime: 0, at: now - MAX_WINDOW_MS - 1 }] };
    expect(treeUsage([stat(1, 360_000, 3_600_000)], old, now).cpu).toBe(10);
  });

  it('uses the older sample when the newer one is too young', () => {
    const book: SampleBook = {
      '1': [
        { start: now - 10_000, ctime: 1_000, at: now - 3_000 },
        { start: now - 10_000, ctime: 3_900, at: now - 100 },
      ],
    };
    expect(treeUsage([stat(1, 4_000, 10_000)], book, now).cpu).toBe(100);
  });
});

describe('recordSamples', () => {
  const now = 5_000_000;
  const p = (pid: number, ctime: number): ProcStat => ({ pid, ctime, start: 1_000, memory: 1 });

  it('adds a sample per process and keeps at most two', () => {
    let book: SampleBook = {};
    book = recordSamples(book, [p(1, 10)], now - 5_000, () => true);
    book = recordSamples(book, [p(1, 20)], now - 3_000, () => true);
    book = recordSamples(book, [p(1, 30)], now, () => true);
    expect(book['1']!.map((s) => s.ctime)).toEqual([20, 30]);
  });

  it('keeps a sample younger than the minimum window as the baseline', () => {
    const book = recordSamples({ '1': [{ start: 1_000, ctime: 10, at: now - 200 }] }, [p(1, 20)], now, () => true);
    expect(book['1']!.map((s) => s.ctime)).toEqual([10]);
  });

  it('drops processes that are gone and samples past the maximum window, keeps others', () => {
    const book = recordSamples(
      {
        '7': [{ start: 1, ctime: 1, at: now - 1_000 }],
        '8': [{ start: 1, ctime: 1, at: now - 1_000 }],
        '9': [{ start: 1, ctime: 1, at: now - MAX_WINDOW_MS - 1 }],
      },
      [],
      now,
      (pid) => pid !== 8,
    );
    expect(Object.keys(book)).toEqual(['7']);
  });
});

describe('parseProcStat', () => {
  const machine = { bootMs: 1_700_000_000_000, pageSize: 4096 };
  // Captured /proc/<pid>/stat of a node process (utime 1234, stime 56, starttime 987654, rss 25000 pages).
  const line = '4301 (node) S 4300 4301 4300 34816 4301 4194304 9876 0 12 0 1234 56 0 0 20 0 11 0 987654 1234567890 25000 18446744073709551615 1 1 0 0 0 0 0 16781312 134234626 0 0 0 17 1 0 0 0 0 0';
  it('reads CPU time, start and resident memory', () => {
    expect(parseProcStat(4301, line, machine)).toEqual({ pid: 4301, ctime: 12_900, start: machine.bootMs + 9_876_540, memory: 25000 * 4096 });
  });
  it('counts fields from the last ")": a command name with spaces and parentheses', () => {
    const odd = line.replace('(node)', '(my (odd) agent)');
    expect(parseProcStat(4301, odd, machine)!.ctime).toBe(12_900);
  });
  it('gives nothing for a zombie or a mangled line', () => {
    expect(parseProcStat(1, line.replace(') S ', ') Z '), machine)).toBeNull();
    expect(parseProcStat(1, 'nonsense', machine)).toBeNull();
  });
  it.runIf(process.platform === 'linux')('reads this very process from /proc, and skips a pid that does not exist', async () => {
    const stats = await readProcStats([process.pid, 2 ** 22 + 12345]);
    expect([...stats.keys()]).toEqual([process.pid]);
    const me = stats.get(process.pid)!;
    expect(me.memory).toBeGreaterThan(process.memoryUsage().rss / 2);
    expect(me.memory).toBeLessThan(process.memoryUsage().rss * 2);
    expect(Math.abs(me.start - (Date.now() - process.uptime() * 1000))).toBeLessThan(2_000);
    expect(me.ctime).toBeGreaterThan(0);
  });
});
