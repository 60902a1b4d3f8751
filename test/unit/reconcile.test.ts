import { describe, expect, it } from 'vitest';
import { BUSY_CPU_LIFETIME_PERCENT, BUSY_CPU_PERCENT, busyByCpu, reconcile } from '../../src/core/reconcile.js';
import type { PaneInfo } from '../../src/core/parse.js';
import type { AgentRecord } from '../../src/state/types.js';

const rec = (branch: string, extra: Partial<AgentRecord> = {}): AgentRecord => ({
  repo: '/r', repo_name: 'r', branch, batch_id: null, agent: 'shell', session: `s_${branch}`, worktree: `/w/${branch}`,
  base_commit: 'abc', base_ref: 'main', created_branch: true, copied_files: [], created_at: '2026-01-01T00:00:00.000Z',
  prompt_preview: '', phase: 'ready', owner_pid: null, ...extra,
});
const pane = (session: string, p: Partial<PaneInfo>): PaneInfo => ({
  session, paneId: '%1', pid: 10, dead: false, deadStatus: null, activity: 1000, sessionCreated: 900, currentCommand: 'bash', fleet: {},
  sessionActivity: null, hook: { state: '', at: null, transcript: '', reason: '' }, ...p,
} as PaneInfo);

const status = (records: AgentRecord[], panes: PaneInfo[], nowSec: number, alive = (_: number) => false) =>
  reconcile(records, panes, { now: nowSec * 1000, idleSeconds: 30, pidAlive: alive }).map((v) => [v.status, v.exitCode]);

describe('reconcile', () => {
  it('derives running, idle, exited and missing from pane facts alone', () => {
    const records = [rec('run'), rec('quiet'), rec('done'), rec('gone')];
    const panes = [
      pane('s_run', { activity: 1000 }),
      pane('s_quiet', { activity: 960 }),
      pane('s_done', { dead: true, deadStatus: 3 }),
    ];
    expect(status(records, panes, 1010)).toEqual([['running', null], ['idle', null], ['exited', 3], ['missing', null]]);
  });

  it('counts quiet time from the end of the whole second tmux reports', () => {
    // Output at 1000.9 is reported as 1000: at 1030.5 the agent has been quiet 29.6 s, not 30.5 s.
    expect(status([rec('a')], [pane('s_a', { activity: 1000 })], 1030.5)).toEqual([['running', null]]);
    expect(status([rec('a')], [pane('s_a', { activity: 1000 })], 1031)).toEqual([['idle', null]]);
  });

  it('shows a half-made record as creating while its owner lives, setup-failed once it died', () => {
    const r = [rec('mid', { phase: 'creating', owner_pid: 42 })];
    expect(status(r, [], 1000, (pid) => pid === 42)).toEqual([['creating', null]]);
    expect(status(r, [], 1000, () => false)).toEqual([['setup-failed', null]]);
  });

  it("a half-made record whose session was started (complete @fleet_* options of this set-up) is a running agent", () => {
    const r = rec('late', { phase: 'creating', owner_pid: 42 });
    const opts = { repo: '/r', branch: 'late', agent: 'shell', worktree: '/w/late', created: r.created_at, base: 'abc' };
    const views = reconcile([r], [pane('s_late', { activity: 1000, fleet: opts })], { now: 1010_000, idleSeconds: 30, pidAlive: () => false });
    expect(views.map((v) => [v.status, v.unrecorded])).toEqual([['running', true]]);
    // Exited since: still its agent, with its exit status.
    expect(status([r], [pane('s_late', { dead: true, deadStatus: 2, fleet: opts })], 1010)).toEqual([['exited', 2]]);
    // Options of another set-up on the same session name, or incomplete ones: not its agent.
    for (const other of [{ ...opts, created: '2030-01-01T00:00:00.000Z' }, { ...opts, base: undefined }, { ...opts, worktree: '/elsewhere' }]) {
      expect(status([r], [pane('s_late', { fleet: other })], 1010)).toEqual([['setup-failed', null]]);
    }
    // While its owner lives it is still being made, whatever tmux shows.
    expect(status([r], [pane('s_late', { fleet: opts })], 1010, () => true)).toEqual([['creating', null]]);
  });

  it('asks about the owner by pid and start time, so a reused pid is not taken for it', () => {
    const seen: unknown[] = [];
    const r = rec('mid', { phase: 'creating', owner_pid: 42, owner_start: '987654' });
    reconcile([r], [], { now: 0, idleSeconds: 30, pidAlive: (...args) => (seen.push(args), true) });
    expect(seen).toEqual([[42, '987654']]);
  });
});

describe('a record whose worktree directory was deleted', () => {
  const exists = (dir: string) => dir !== '/w/deleted' && dir !== '/w/making';
  const statusOf = (records: AgentRecord[], panes: PaneInfo[]) =>
    reconcile(records, panes, { now: 1010_000, idleSeconds: 30, pidAlive: () => true, worktreeExists: exists }).map((v) => [v.record.branch, v.status, v.exitCode]);

  it('is worktree-missing whatever its pane says (exited, alive, gone), not "exited (0)"', () => {
    expect(statusOf([rec('deleted')], [pane('s_deleted', { dead: true, deadStatus: 0 })])).toEqual([['deleted', 'worktree-missing', 0]]);
    expect(statusOf([rec('deleted')], [pane('s_deleted', {})])).toEqual([['deleted', 'worktree-missing', null]]);
    expect(statusOf([rec('deleted')], [])).toEqual([['deleted', 'worktree-missing', null]]);
  });

  it('leaves alone a set-up still making its worktree, a rebuilt record that names none, and agents whose worktree is there', () => {
    const records = [rec('making', { worktree: '/w/making', phase: 'creating', owner_pid: 7 }), rec('rebuilt', { worktree: '' }), rec('fine')];
    expect(statusOf(records, [pane('s_fine', { activity: 1000 })])).toEqual([['making', 'creating', null], ['rebuilt', 'missing', null], ['fine', 'running', null]]);
  });
});

describe('reconcile, agents with hooks', () => {
  const hooked = (session: string, hook: Partial<PaneInfo['hook']>, p: Partial<PaneInfo> = {}) =>
    pane(session, { fleet: { hooks: 'claude' }, hook: { state: '', at: null, transcript: '', reason: '', ...hook }, ...p });
  const views = (records: AgentRecord[], panes: PaneInfo[], nowSec: number) =>
    reconcile(records, panes, { now: nowSec * 1000, idleSeconds: 30, pidAlive: () => false }).map((v) => [v.status, v.reason ?? null, v.since ?? null]);

  it('take their status from what their hooks wrote, not from output; an exit stays an exit', () => {
    const records = [rec('s'), rec('w'), rec('q'), rec('d'), rec('x')];
    const panes = [
      hooked('s_s', {}, { sessionCreated: 995 }),
      hooked('s_w', { state: 'working', at: 990 }, { activity: 100 }),
      hooked('s_q', { state: 'waiting', at: 990, reason: 'permission: Bash(npm test)' }),
      hooked('s_d', { state: 'done', at: 999 }, { activity: 1000 }),
      hooked('s_x', { state: 'exited', at: 1001, reason: 'exit code 2' }, { dead: true, deadStatus: 2 }),
    ];
    expect(views(records, panes, 1010)).toEqual([
      ['starting', null, 995],
      ['working', null, 990],
      ['waiting', 'permission: Bash(npm test)', 990],
      ['done', null, 999],
      ['exited', null, 1001],
    ]);
  });

  it('an agent without hooks keeps running/idle even if something set a state option', () => {
    expect(views([rec('p')], [pane('s_p', { activity: 960, hook: { state: 'waiting', at: 1, transcript: '', reason: 'x' } })], 1010)).toEqual([['idle', null, 960]]);
  });
});

describe('busyByCpu', () => {
  it('an idle agent busy on the CPU since the last look is running', () => {
    expect(busyByCpu('idle', { cpu: BUSY_CPU_PERCENT, windowed: true })).toBe('running');
    expect(busyByCpu('idle', { cpu: BUSY_CPU_PERCENT - 0.1, windowed: true })).toBe('idle');
  });
  it('over a lifetime average (no earlier look), only a much busier one: start-up alone is not work', () => {
    expect(busyByCpu('idle', { cpu: 8, windowed: false })).toBe('idle');
    expect(busyByCpu('idle', { cpu: BUSY_CPU_LIFETIME_PERCENT, windowed: false })).toBe('running');
  });
  it('leaves every other status, and agents not measured, alone', () => {
    expect(busyByCpu('exited', { cpu: 100, windowed: true })).toBe('exited');
    expect(busyByCpu('running', { cpu: 0, windowed: true })).toBe('running');
    expect(busyByCpu('idle', undefined)).toBe('idle');
  });
});
