import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveFleet } from '../../src/web/live.js';
import type { AgentRow } from '../../src/web/fleet-ops.js';
import type { PaneCapture } from '../../src/core/pane-capture.js';
import { ScreenMirrors } from '../../src/web/screen.js';

function row(session: string, status: string, extra: Partial<AgentRow> = {}): AgentRow {
  return {
    repo: '/r', host: null, branch: session, batch_id: null, agent: 'shell', status, session, worktree: `/w/${session}`,
    cpu: null, memory: null, created_at: '2026-01-01T00:00:00.000Z', exit_code: null, state_reason: null, state_since: null, conversation_id: null, changes: null, usage: null, budget_usd: null, issue: null, ...extra,
  };
}

/** A scripted stand-in for the adapter: counts calls, answers with whatever `rows` holds now. */
function fakeOps(initial: AgentRow[]) {
  const calls = { list: 0, measured: 0, changes: [] as string[], captured: [] as string[][] };
  let rows = initial;
  return {
    calls,
    set: (r: AgentRow[]) => (rows = r),
    ops: {
      async refresh({ measure, captures }: { measure: boolean; captures: ReadonlyMap<string, number | 'all'> }) {
        calls.list++;
        if (measure) calls.measured++;
        calls.captured.push([...captures.keys()]);
        return {
          // As the real refresh: between two measurements, the last one's figures.
          rows: rows.map((r) => (calls.measured > 0 && r.status !== 'exited' ? { ...r, cpu: 1.5, memory: 1024 } : { ...r })),
          captures: new Map([...captures.keys()].map((s) => [s, screenOf(s)] as const)),
        };
      },
      async changes(session: string) {
        calls.changes.push(session);
        return { files: 1, added: 2, removed: 0 };
      },
    },
  };
}

function screenOf(session: string): PaneCapture {
  return { cols: 10, rows: 1, historySize: 0, historyLimit: 2000, cursorX: 0, cursorY: 0, cursorVisible: true, alternate: false, history: [], screen: [`screen of ${session}`] };
}

const OPTS = { fastMs: 500, measureMs: 5_000, changesBusyMs: 30_000, changesAllMs: 300_000 };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LiveFleet: one refresh for every page', () => {
  it('makes one list call per tick however many pages listen, and sends each page the same list', async () => {
    const f = fakeOps([row('a', 'running'), row('b', 'idle')]);
    const live = new LiveFleet(f.ops, new ScreenMirrors({ historyLines: 10 }), OPTS, () => Date.now());
    const got: string[][] = [[], [], []];
    const stops = got.map((g) => live.subscribe((event, data) => event === 'agents' && g.push(data)));
    await vi.advanceTimersByTimeAsync(0);
    expect(f.calls.list).toBe(1);
    await vi.advanceTimersByTimeAsync(500 * 10);
    // 1 + 10 ticks, not 3 × that.
    expect(f.calls.list).toBe(11);
    expect(live.ticks).toBe(11);
    expect(got[0]!.length).toBeGreaterThan(0);
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    stops.forEach((s) => s());
  });

  it('reads the process table only every measureMs (the refresh keeps the last figures in between: dashboard-refresh.test.ts)', async () => {
    const f = fakeOps([row('a', 'running')]);
    const live = new LiveFleet(f.ops, new ScreenMirrors({ historyLines: 10 }), OPTS, () => Date.now());
    const sent: AgentRow[][] = [];
    const stop = live.subscribe((e, d) => e === 'agents' && sent.push(JSON.parse(d)));
    await vi.advanceTimersByTimeAsync(9_900);
    expect(f.calls.list).toBe(20);
    expect(f.calls.measured).toBe(2); // at 0 s and 5 s
    expect(sent.length).toBeGreaterThan(0);
    stop();
  });

  it('sends a list only when it changed, and a status change at the next tick', async () => {
    const f = fakeOps([row('a', 'running')]);
    const live = new LiveFleet(f.ops, new ScreenMirrors({ historyLines: 10 }), OPTS, () => Date.now());
    const sent: AgentRow[][] = [];
    const stop = live.subscribe((e, d) => e === 'agents' && sent.push(JSON.parse(d)));
    await vi.advanceTimersByTimeAsync(3_000);
    const before = sent.length;
    expect(before).toBeLessThanOrEqual(2); // the list, then once more when its changes came in
    f.set([row('a', 'exited', { exit_code: 3 })]);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent.length).toBe(before + 1);
    expect(sent.at(-1)![0]).toMatchObject({ status: 'exited', exit_code: 3 });
    stop();
  });

  it('stops refreshing when the last page goes, and starts again with the next', async () => {
    const f = fakeOps([row('a', 'running')]);
    const live = new LiveFleet(f.ops, new ScreenMirrors({ historyLines: 10 }), OPTS, () => Date.now());
    const stop = live.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(1_000);
    stop();
    const n = f.calls.list;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(f.calls.list).toBe(n);
    const again = live.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(600);
    expect(f.calls.list).toBeGreaterThan(n);
    again();
  });

  it('works out changes once per agent, again for busy agents only now and then, and after a status change', async () => {
    const f = fakeOps([row('busy', 'running'), row('quiet', 'idle'), row('new', 'creating')]);
    const live = new LiveFleet(f.ops, new ScreenMirrors({ historyLines: 10 }), OPTS, () => Date.now());
    const sent: AgentRow[][] = [];
    const stop = live.subscribe((e, d) => e === 'agents' && sent.push(JSON.parse(d)));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.calls.changes.sort()).toEqual(['busy', 'quiet']); // not the one still being created
    expect(sent.at(-1)!.find((r) => r.session === 'quiet')!.changes).toEqual({ files: 1, added: 2, removed: 0 });
    f.calls.changes.length = 0;
    await vi.advanceTimersByTimeAsync(28_000); // 29 s after the first look
    expect(f.calls.changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(f.calls.changes).toEqual(['busy']);
    f.calls.changes.length = 0;
    f.set([row('busy', 'running'), row('quiet', 'exited', { exit_code: 0 }), row('new', 'creating')]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.calls.changes).toEqual(['quiet']);
    stop();
  });

  it('reads the viewed terminals in the same call, and keeps looking while only a terminal is viewed', async () => {
    const f = fakeOps([row('a', 'running'), row('b', 'running')]);
    let live: LiveFleet | null = null;
    const mirrors = new ScreenMirrors({ historyLines: 10 }, () => live!.kick());
    live = new LiveFleet(f.ops, mirrors, OPTS, () => Date.now());
    const stopPage = live.subscribe(() => undefined);
    await vi.advanceTimersByTimeAsync(100);
    const frames: string[][] = [[], []];
    const stops = frames.map((fr) => mirrors.watch('a', (e) => e.type === 'frame' && fr.push(e.frame.data)));
    await vi.advanceTimersByTimeAsync(0); // the new viewers made it look at once
    expect(frames.map((fr) => fr.length)).toEqual([1, 1]);
    expect(frames[0]![0]).toContain('screen of a');
    const n = f.calls.list;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(f.calls.list).toBe(n + 4); // two viewers, still one call per tick
    expect(f.calls.captured.at(-1)).toEqual(['a']);
    stopPage();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.calls.list).toBe(n + 6); // the terminal alone keeps the loop going
    stops.forEach((s) => s());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(f.calls.list).toBeLessThanOrEqual(n + 7);
    const m = f.calls.list;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(f.calls.list).toBe(m);
  });
});
