import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, onTerminal, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

interface Listed {
  branch: string;
  status: string;
  exit_code: number | null;
  cpu: number | null;
  memory: number | null;
  session: string;
}

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\nidle_seconds = 1\n');
});
afterEach(async () => {
  await sb.cleanup();
});

async function list(): Promise<Listed[]> {
  const r = await fleet(sb, ['list', '--json'], { cwd: repo });
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

async function agent(branch: string): Promise<Listed | undefined> {
  return (await list()).find((a) => a.branch === branch);
}

async function create(branch: string, prompt: string): Promise<void> {
  const r = await fleet(sb, ['create', branch, '--quick', '-p', prompt], { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('list statuses, from tmux pane facts', () => {
  it('an agent that exits with status 3 shows exited, exit_code 3, and its logs stay readable', async () => {
    await create('three', 'echo "last words"; exit 3');
    const a = await waitFor(async () => ((await agent('three'))?.status === 'exited' ? agent('three') : null), { what: 'exited' });
    expect(a).toMatchObject({ status: 'exited', exit_code: 3, cpu: 0, memory: 0 });
    const table = await fleet(sb, ['list'], { cwd: repo });
    expect(table.stdout).toMatch(/three\s+-\s+shell\s+exited \(3\)/);
    const logs = await fleet(sb, ['logs', 'three'], { cwd: repo });
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain('last words');
  });

  it('an agent killed by a signal shows exited with 128 + the signal', async () => {
    await create('killed', 'kill -9 $$');
    const a = await waitFor(async () => ((await agent('killed'))?.status === 'exited' ? agent('killed') : null), { what: 'exited' });
    expect(a.exit_code).toBe(137);
  });

  it('running while output flows, idle once quiet for idle_seconds, running again on new output', async () => {
    const flag = path.join(sb.dir, 'speak');
    await create('chatty', 'while true; do echo tick; sleep 0.2; done');
    await create('quiet', `while [ ! -e ${flag} ]; do sleep 0.1; done; while true; do echo awake; sleep 0.2; done`);
    await waitFor(async () => (await agent('quiet'))?.status === 'idle', { what: 'quiet to turn idle' });
    expect((await agent('chatty'))!.status).toBe('running');
    fs.writeFileSync(flag, '');
    await waitFor(async () => (await agent('quiet'))?.status === 'running', { what: 'quiet to run again' });
  });

  it('an agent that prints nothing but keeps the CPU busy is running, not idle', async () => {
    // A busy loop that never writes: its pane has been quiet since it started.
    await create('busy', 'while :; do :; done');
    await create('quiet', 'sleep 60');
    await waitFor(async () => (await agent('quiet'))?.status === 'idle', { what: 'quiet to turn idle (idle_seconds passed)' });
    // Polled: on a loaded machine the loop may get less than a core between two looks.
    const busy = await waitFor(async () => {
      const a = await agent('busy');
      return a?.status === 'running' && (a.cpu ?? 0) >= 5 ? a : null;
    }, { what: 'busy to show running', timeout: 15_000 });
    expect(busy.cpu).toBeGreaterThanOrEqual(5);
    expect((await agent('quiet'))!.status).toBe('idle');
  });

  it('a session killed behind fleet\'s back shows missing', async () => {
    await create('doomed', 'sleep 60');
    await create('alive', 'sleep 60');
    expect((await sb.tmux('kill-session', '-t', '=fleet_repo_doomed')).exitCode).toBe(0);
    const rows = await list();
    expect(rows.find((a) => a.branch === 'doomed')).toMatchObject({ status: 'missing', cpu: 0, memory: 0, exit_code: null });
    expect(rows.find((a) => a.branch === 'alive')!.status).not.toBe('missing');
  });
});

describe('list cpu and memory', () => {
  it("counts the agent's whole process tree: memory includes its children, CPU their work", async () => {
    // The agent (bash) is small; its node child holds 96 MiB and keeps a core busy.
    await create('heavy', `node -e "globalThis.b = Buffer.alloc(96 * 1024 * 1024, 1); for (;;) {}" & wait`);
    await create('light', 'sleep 60');
    const heavy = await waitFor(async () => {
      const a = await agent('heavy');
      // CPU is the child's busy loop (bash itself sits in `wait`); polled, since a loaded CI
      // machine may give the loop less than a core between two looks.
      return a && a.memory !== null && a.memory > 96 * 1024 * 1024 && (a.cpu ?? 0) > 10 ? a : null;
    }, { what: 'the child to allocate and spin', timeout: 15_000 });
    expect(Number.isInteger(heavy.memory)).toBe(true);
    expect(heavy.cpu).toBeGreaterThan(10);

    // The pane's own process is the bash agent: far smaller than the total.
    const panePid = Number((await sb.tmux('display-message', '-p', '-t', '=fleet_repo_heavy:', '#{pane_pid}')).stdout);
    const rssKb = Number((await execa('ps', ['-o', 'rss=', '-p', String(panePid)])).stdout.trim());
    expect(rssKb * 1024).toBeLessThan(32 * 1024 * 1024);

    const light = (await agent('light'))!;
    expect(light.memory).toBeGreaterThan(0);
    expect(light.cpu).toBeLessThan(5);

    const table = await fleet(sb, ['list'], { cwd: repo });
    expect(table.stdout.split('\n')[0]).toMatch(/BRANCH\s+BATCH\s+AGENT\s+STATUS\s+CPU\s+MEMORY\s+AGE/);
    expect(table.stdout).toMatch(/heavy\s+-\s+shell\s+(running|idle)\s+\d+\.\d%\s+\d+ MiB/);
  });

  it('--watch redraws every 2 s until Ctrl+C, which ends it with status 130', async () => {
    await create('w1', 'sleep 60');
    const watcher = execa(process.execPath, [CLI, 'list', '--watch', '--json'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
    const stamps: number[] = [];
    let out = '';
    watcher.stdout.on('data', (d) => {
      out += String(d);
      while (stamps.length < out.split('\n').length - 1) stamps.push(Date.now());
    });
    await waitFor(() => stamps.length >= 2, { timeout: 8_000, what: 'two frames' });
    watcher.kill('SIGINT');
    const r = await watcher;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toBe('');
    const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Listed[]);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const f of frames) expect(f.map((a) => a.branch)).toEqual(['w1']);
    expect(stamps[1]! - stamps[0]!).toBeGreaterThan(1_500);
  });

  it('--watch into a reader that goes away (`| head -1`) ends quietly, with exit status 0', async () => {
    await create('w1', 'sleep 60');
    const r = await execa('bash', ['-c', `'${process.execPath}' '${CLI}' list --watch | head -1; exit "\${PIPESTATUS[0]}"`], {
      cwd: repo, env: sb.env, extendEnv: false, reject: false, timeout: 30_000,
    });
    expect(r.stdout).toMatch(/^fleet list, every 2 s/);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('--watch ends with 130 on SIGTERM too, and on Ctrl+C in a terminal', async () => {
    await create('w1', 'sleep 60');
    const watcher = execa(process.execPath, [CLI, 'list', '--watch'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
    let out = '';
    watcher.stdout.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes('w1'), { what: 'a frame' });
    watcher.kill('SIGTERM');
    expect((await watcher).exitCode).toBe(130);

    // On a terminal, Ctrl+C is the terminal's own SIGINT.
    const term = await onTerminal(sb, 'list --watch', { cols: 100, rows: 10, cwd: repo });
    await waitFor(async () => /\bw1\b/.test(await term.screen()), { what: 'the watch drawn on the terminal' });
    // Redrawn in place: a later frame replaces the first, and no copy of a frame scrolls away.
    const title = async () => /fleet list, every 2 s.*$/m.exec(await term.screen())?.[0];
    const first = await title();
    await waitFor(async () => (await title()) !== first, { what: 'a second frame' });
    expect((await term.screen()).match(/fleet list, every/g)).toHaveLength(1);
    expect(await term.scrollback()).not.toMatch(/fleet list, every/);
    await term.keys('C-c');
    expect((await term.ended()).exitCode).toBe(130);
  });
});
