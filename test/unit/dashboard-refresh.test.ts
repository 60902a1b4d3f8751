import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { baseContext } from '../../src/context.js';
import { CAPTURE_FORMAT, parseCapture } from '../../src/core/pane-capture.js';
import type { Runner } from '../../src/process/runner.js';
import { StateManager } from '../../src/state/state-manager.js';
import { listPanesAndScreens, type HistoryWanted } from '../../src/tmux/screens.js';
import { openFleetOps } from '../../src/web/fleet-ops.js';
import { paneLine, record } from '../helpers/fake-runner.js';
import { waitFor } from '../helpers/sandbox.js';

/** What `display-message -p CAPTURE_FORMAT` prints for a 20×3 pane with 2 lines of history. */
const FACTS = '2 2000 20 3 4 2 1 0';
const LINES = ['old 1', 'old 2', '\x1b[31mred\x1b[0m', 'middle', '$ '];

/**
 * A stand-in tmux server answering the commands of one invocation (parts split at ";") as tmux
 * does: output in order, and at the first command naming a session it does not have, exit 1
 * with what came before. Every invocation is recorded.
 */
function scriptedTmux(sessions: string[], opts: { pid?: number; panes?: Record<string, Omit<Parameters<typeof paneLine>[0], 'session'>> } = {}) {
  const lineOf = (s: string) => paneLine({ session: s, pid: opts.pid, ...opts.panes?.[s] });
  const pids = sessions.map((s) => opts.panes?.[s]?.pid ?? opts.pid ?? 1);
  const calls: string[][] = [];
  const run: Runner = async (cmd, args) => {
    calls.push([cmd, ...args]);
    if (cmd === 'git') return { stdout: '', stderr: 'fatal: not a git repository (or any parent up to mount point /)', exitCode: 128 };
    if (cmd === 'ps') return { stdout: [...new Set(pids)].map((p) => `${p} 0\n`).join(''), stderr: '', exitCode: 0 };
    if (cmd !== 'tmux') throw new Error(`unexpected ${cmd}`);
    const parts: string[][] = [[]];
    for (const a of args) {
      if (a === ';') parts.push([]);
      else parts[parts.length - 1]!.push(a);
    }
    let out = '';
    for (const p of parts) {
      const target = p[p.indexOf('-t') + 1];
      if (p.includes('-t') && !sessions.some((s) => target === `=${s}:`)) return { stdout: out, stderr: `can't find pane: ${target}`, exitCode: 1 };
      if (p[0] === 'list-panes') out += sessions.map(lineOf).join('\n') + '\n';
      else if (p[0] === 'display-message' && p.length === 3) out += `${p[2]}\n`;
      else if (p[0] === 'display-message') out += `${FACTS}\n`;
      else if (p[0] === 'capture-pane') out += LINES.join('\n') + '\n';
      else throw new Error(`unexpected tmux ${p.join(' ')}`);
    }
    return { stdout: out, stderr: '', exitCode: 0 };
  };
  return { run, calls, tmuxCalls: () => calls.filter((c) => c[0] === 'tmux') };
}

describe('parseCapture', () => {
  it('splits what display-message and capture-pane printed into facts, history and the screen', () => {
    const c = parseCapture([FACTS, ...LINES, ''].join('\n'));
    expect(c).toMatchObject({ historySize: 2, historyLimit: 2000, cols: 20, rows: 3, cursorX: 4, cursorY: 2, cursorVisible: true, alternate: false });
    expect(c.history).toEqual(['old 1', 'old 2']);
    expect(c.screen).toEqual(['\x1b[31mred\x1b[0m', 'middle', '$ ']);
  });

  it('pads a screen tmux printed short to its height', () => {
    expect(parseCapture('0 2000 20 3 0 0 1 1\nonly\n')).toMatchObject({ history: [], screen: ['only', '', ''], alternate: true });
  });
});

describe('listPanesAndScreens', () => {
  it('reads every pane and each viewed screen in one tmux call, each pane targeted exactly', async () => {
    const t = scriptedTmux(['fleet_r_a', 'fleet_r_b', 'fleet_r_a1']);
    const r = await listPanesAndScreens(t.run, new Map<string, HistoryWanted>([['fleet_r_a', 200], ['fleet_r_b', 'all']]));
    expect(t.tmuxCalls()).toHaveLength(1);
    const argv = t.tmuxCalls()[0]!;
    expect(argv.filter((a) => a.startsWith('='))).toEqual(['=fleet_r_a:', '=fleet_r_a:', '=fleet_r_b:', '=fleet_r_b:']);
    expect(argv.filter((a) => a === CAPTURE_FORMAT)).toHaveLength(2);
    expect(argv.join(' ')).toContain('capture-pane -p -e -t =fleet_r_a: -S -200');
    expect(argv.join(' ')).toContain('capture-pane -p -e -t =fleet_r_b: -S -');
    expect(r.panes.map((p) => p.session)).toEqual(['fleet_r_a', 'fleet_r_b', 'fleet_r_a1']);
    for (const s of ['fleet_r_a', 'fleet_r_b']) expect(r.screens.get(s)?.screen).toEqual(['\x1b[31mred\x1b[0m', 'middle', '$ ']);
  });

  it('when a viewed session is gone, still reads the panes and the screens that are there', async () => {
    const t = scriptedTmux(['fleet_r_b']);
    const r = await listPanesAndScreens(t.run, new Map([['fleet_r_gone', 10], ['fleet_r_b', 10]]));
    expect(r.panes.map((p) => p.session)).toEqual(['fleet_r_b']);
    expect(r.screens.get('fleet_r_gone')).toBeNull();
    expect(r.screens.get('fleet_r_b')?.history).toEqual(['old 1', 'old 2']);
  });
});

describe("the dashboard's refresh", () => {
  async function open(t: ReturnType<typeof scriptedTmux>, sessions: string[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-refresh-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const env = { HOME: dir, AI_FLEET_HOME: path.join(dir, 'fleet'), PATH: process.env.PATH };
    // Agents whose worktree is there (a record whose worktree directory is gone lists as worktree-missing).
    await new StateManager(env.AI_FLEET_HOME).update(() => sessions.map((s) => record(s.replace('fleet_repo_', ''), { worktree: dir })));
    return openFleetOps({ all: true, base: { ...baseContext({ env, cwd: dir }), run: t.run } });
  }

  it('is one tmux call for the rows and the viewed screens; CPU and memory only when asked', async () => {
    const t = scriptedTmux(['fleet_repo_a', 'fleet_repo_b'], { pid: process.pid });
    const ops = await open(t, ['fleet_repo_a', 'fleet_repo_b']);
    t.calls.length = 0;

    const quick = await ops.refresh({ measure: false, captures: new Map([['fleet_repo_b', 50]]) });
    expect(t.tmuxCalls()).toHaveLength(1);
    expect(t.calls.filter((c) => c[0] === 'ps')).toHaveLength(0);
    expect(quick.rows.map((r) => [r.branch, r.status, r.memory])).toEqual([['a', 'running', null], ['b', 'running', null]]);
    expect(quick.captures.get('fleet_repo_b')).toMatchObject({ rows: 3, screen: ['\x1b[31mred\x1b[0m', 'middle', '$ '] });

    t.calls.length = 0;
    const measured = await ops.refresh({ measure: true, captures: new Map() });
    expect(t.tmuxCalls()).toHaveLength(1);
    expect(t.calls.filter((c) => c[0] === 'ps')).toHaveLength(1);
    for (const r of measured.rows) expect(r.memory).toBeGreaterThan(0);
  });

  it('a viewed agent on a host is said to run there, never called gone (its session is not on this tmux server)', async () => {
    const t = scriptedTmux(['fleet_repo_a']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-refresh-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const env = { HOME: dir, AI_FLEET_HOME: path.join(dir, 'fleet'), PATH: process.env.PATH };
    await new StateManager(env.AI_FLEET_HOME).update(() => [record('a', { worktree: dir }), record('far', { worktree: '/on/build1/far', host: 'build1', remote_repo: '/on/build1/repo.git' })]);
    const base = baseContext({ env, cwd: dir });
    const ops = await openFleetOps({ all: true, base: { ...base, run: t.run, ui: { ...base.ui, warn: () => undefined } } });
    const r = await ops.refresh({ measure: false, captures: new Map([['fleet_repo_a', 50], ['fleet_repo_far', 50]]) });
    expect(r.captures.get('fleet_repo_a')).toMatchObject({ rows: 3 });
    expect(r.captures.get('fleet_repo_far')).toEqual({ error: '"far" runs on host "build1": its screen is not shown here', hint: 'fleet logs far (or fleet attach far)' });
    expect(r.rows.find((x) => x.branch === 'far')).toMatchObject({ host: 'build1', status: 'unreachable' });
  });

  it("gives fleet list's statuses: hook statuses from the same one call, and between measurements a quiet agent busy on the CPU stays running", async () => {
    const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    onTestFinished(() => void spinner.kill('SIGKILL'));
    const quiet = Math.floor(Date.now() / 1000) - 3600; // no output for an hour: idle by its output
    const t = scriptedTmux(['fleet_repo_busy', 'fleet_repo_asks'], {
      panes: {
        fleet_repo_busy: { pid: spinner.pid, activity: quiet },
        fleet_repo_asks: { pid: 4242, activity: quiet, fleet: { hooks: 'claude' }, hook: { state: 'waiting', at: quiet, reason: 'permission: Bash(npm test)' } },
      },
    });
    const ops = await open(t, ['fleet_repo_busy', 'fleet_repo_asks']);
    // Measured (as fleet list does) until the spinning agent reads busy on the CPU.
    const measured = await waitFor(async () => {
      const r = await ops.refresh({ measure: true, captures: new Map() });
      return r.rows.find((x) => x.branch === 'busy')?.status === 'running' ? r.rows : null;
    }, { what: 'the busy agent measured running' });
    t.calls.length = 0;
    const quick = await ops.refresh({ measure: false, captures: new Map([['fleet_repo_asks', 10]]) });
    expect(t.tmuxCalls()).toHaveLength(1); // hook states, panes and the screen: one call
    expect(t.calls.filter((c) => c[0] === 'ps')).toHaveLength(0);
    const byBranch = (rows: typeof quick.rows) => Object.fromEntries(rows.map((r) => [r.branch, [r.status, r.state_reason, r.cpu]]));
    expect(byBranch(quick.rows)).toEqual(byBranch(measured));
    expect(byBranch(quick.rows).busy![0]).toBe('running');
    expect(byBranch(quick.rows).asks).toEqual(['waiting', 'permission: Bash(npm test)', null]);
  });

  it('says why a viewed screen is missing when its session is gone', async () => {
    const t = scriptedTmux(['fleet_repo_a']);
    const ops = await open(t, ['fleet_repo_a']);
    const r = await ops.refresh({ measure: false, captures: new Map([['fleet_repo_x', 10]]) });
    expect(r.captures.get('fleet_repo_x')).toEqual({ error: 'the tmux session "fleet_repo_x" is gone', hint: expect.stringContaining('fleet prune') });
  });
});
