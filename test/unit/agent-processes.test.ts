import { describe, expect, it } from 'vitest';
import { agentProcesses, type Guard } from '../../src/core/agent-processes.js';
import { parseLsofCwd, parsePsTable, parseStatLine, type ProcEntry } from '../../src/process/process-table.js';
import { terminate } from '../../src/process/terminate.js';
import { FakeProcesses } from '../helpers/fake-processes.js';

const WT = '/home/u/.ai_fleet/worktrees/repo/fix';
const ME = 1000;

/** A process table: [pid, ppid, sid, extra]. */
function table(rows: [number, number, number, Partial<ProcEntry>?][]): ProcEntry[] {
  return rows.map(([pid, ppid, sid, extra]) => ({
    pid, ppid, sid, uid: ME, tty: false, start: `s${pid}`, cwd: null, fleetWorktree: null, command: `p${pid}`, ...extra,
  }));
}

const guard: Guard = { self: 50, uid: ME, protect: [10] };
const pick = (t: ProcEntry[], roots: number[], worktrees = [WT], g = guard) => {
  const r = agentProcesses(t, { roots, worktrees }, g);
  return { victims: r.victims.map((p) => p.pid).sort((a, b) => a - b), spared: r.spared.map((p) => p.pid) };
};

describe('which processes are the agent\'s', () => {
  const base: [number, number, number, Partial<ProcEntry>?][] = [
    [1, 0, 1],
    [10, 1, 10, { command: 'tmux: server' }],
    [40, 1, 40, { tty: true }], // the user's login shell
    [50, 40, 40, { tty: true }], // fleet itself, run from that shell
    [51, 50, 40], // a git call fleet is making
  ];

  it('the tree below the panes, children of children included', () => {
    const t = table([...base, [100, 10, 100, { tty: true }], [101, 100, 100], [102, 101, 100], [200, 10, 200, { tty: true }]]);
    expect(pick(t, [100])).toEqual({ victims: [100, 101, 102], spared: [] });
  });

  it('what left the tree: a double-forked child keeps the session; a setsid child is found by its cwd or its FLEET_WORKTREE', () => {
    const t = table([
      ...base,
      [100, 10, 100, { tty: true }],
      [110, 1, 100], // re-parented to init, still in the pane's session
      [120, 1, 120, { cwd: `${WT}/sub` }], // setsid, working in the worktree
      [130, 1, 130, { cwd: '/', fleetWorktree: WT }], // setsid, moved out, but started by the agent
      [140, 1, 140, { cwd: '/home/u/.ai_fleet/worktrees/repo/fix-2' }], // a sibling worktree: not this one
      [150, 1, 150, { fleetWorktree: `${WT}-2` }],
    ]);
    expect(pick(t, [100])).toEqual({ victims: [100, 110, 120, 130], spared: [] });
  });

  it("never fleet, its parents, its children, the tmux server, init or another user's processes, even in the worktree", () => {
    const t = table([
      [1, 0, 1, { cwd: WT }],
      [10, 1, 10, { cwd: WT, command: 'tmux: server' }], // started by a fleet run from inside the worktree
      [40, 1, 40, { cwd: WT, tty: true }],
      [50, 40, 40, { cwd: WT, fleetWorktree: WT }], // fleet kill run from inside the agent's pane
      [51, 50, 40, { cwd: WT }],
      [60, 1, 60, { cwd: WT, uid: 0 }],
      [61, 1, 61, { cwd: WT, uid: null }],
    ]);
    expect(pick(t, [])).toEqual({ victims: [], spared: [] });
    expect(pick(t, [], [WT], { ...guard, uid: null }).victims).toEqual([]);
  });

  it('a process in the worktree on another terminal is the user\'s: spared and named', () => {
    const t = table([...base, [300, 1, 300, { tty: true, cwd: WT, command: 'vim' }], [301, 300, 300, { tty: true, cwd: WT }]]);
    expect(pick(t, [])).toEqual({ victims: [], spared: [300, 301] });
    // And the program holding that terminal open, though it has none itself (script, a terminal emulator).
    const held = table([...base, [310, 1, 310, { cwd: WT, command: 'script' }], [311, 310, 311, { tty: true, cwd: WT }], [320, 1, 320, { cwd: WT }]]);
    expect(pick(held, [])).toEqual({ victims: [320], spared: [311, 310] });
    // A terminal the agent opened itself (a nested tmux server and its shells) carries its FLEET_WORKTREE: the agent's.
    const nested = table([...base, [330, 1, 330, { cwd: WT, fleetWorktree: WT }], [331, 330, 331, { tty: true, cwd: WT, fleetWorktree: WT }]]);
    expect(pick(nested, [])).toEqual({ victims: [330, 331], spared: [] });
  });

  it('pane pids that are gone pick nothing; no worktree picks only the tree', () => {
    const t = table([...base, [120, 1, 120, { cwd: WT }]]);
    expect(pick(t, [999])).toEqual({ victims: [120], spared: [] });
    expect(pick(t, [999], [])).toEqual({ victims: [], spared: [] });
  });
});

describe('terminate', () => {
  const entry = (f: FakeProcesses, pid: number) => ({ pid, ppid: 1, uid: f.uid, sid: pid, tty: false, start: `start-${pid}`, cwd: null, fleetWorktree: null, command: 'x' });

  it('SIGTERM to all, SIGKILL only to those that outlive the grace', async () => {
    const f = new FakeProcesses().add({ pid: 101 }, { pid: 102, ignoresTerm: true });
    const r = await terminate(f, [entry(f, 101), entry(f, 102)], { graceMs: 100 });
    expect(r).toEqual({ ended: 2, killed: 1, left: [] });
    expect(f.signals.filter((s) => !s.startsWith('SIGCONT'))).toEqual(['SIGTERM 101', 'SIGTERM 102', 'SIGKILL 102']);
    expect(f.running()).toEqual([]);
  });

  it('never signals a process that merely reuses a pid it was given', async () => {
    const f = new FakeProcesses().add({ pid: 103, start: 'a later process' });
    const r = await terminate(f, [entry(f, 103)], { graceMs: 50 });
    expect(f.signals).toEqual([]);
    expect(f.running()).toEqual([103]);
    expect(r.left).toEqual([]);
  });
});

describe('process table parsers', () => {
  it('/proc/<pid>/stat, a command name with spaces and parentheses', () => {
    const line = '4300 (my (odd) prog) S 4242 4300 4300 34817 4300 4194560 1 0 0 0 5 3 0 0 20 0 1 0 123456 1000 100 18446744073709551615';
    expect(parseStatLine(4300, line)).toEqual({ state: 'S', ppid: 4242, sid: 4300, tty: true, start: '123456', command: 'my (odd) prog' });
    expect(parseStatLine(1, '1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 1 0 7 1000 100 1')?.tty).toBe(false);
    expect(parseStatLine(1, 'garbage')).toBeNull();
  });

  it('ps -o pid=,ppid=,uid=,stat=,tty=,lstart=,comm= (macOS shape), zombies left out', () => {
    const out = [
      '    1     0     0 Ss     ??       Mon Nov 27 09:00:01 2026     /sbin/launchd',
      '  812     1   501 S      ttys001  Mon Nov 27 10:15:53 2026     /bin/zsh -l',
      '  900   812   501 Z      ttys001  Mon Nov 27 10:16:00 2026     (node)',
    ].join('\n');
    expect(parsePsTable(out)).toEqual([
      { pid: 1, ppid: 0, uid: 0, sid: null, tty: false, start: 'Mon Nov 27 09:00:01 2026', cwd: null, fleetWorktree: null, command: '/sbin/launchd' },
      { pid: 812, ppid: 1, uid: 501, sid: null, tty: true, start: 'Mon Nov 27 10:15:53 2026', cwd: null, fleetWorktree: null, command: '/bin/zsh -l' },
    ]);
  });

  it('lsof -d cwd -Fpn', () => {
    expect(parseLsofCwd('p812\nfcwd\nn/Users/u/project\np900\nfcwd\nn/tmp/a b\n')).toEqual(new Map([[812, '/Users/u/project'], [900, '/tmp/a b']]));
  });
});
