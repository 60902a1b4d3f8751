import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, recordingAgent, waitFor, writeConfig, type RecordingAgent, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let rec: RecordingAgent;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  rec = recordingAgent(sb);
  writeConfig(sb, `default_agent = "rec"\n${rec.profile}`);
});

afterEach(async () => {
  await sb.cleanup();
});

const NASTY = `it's "quoted" $(touch PWNED) \`touch PWNED2\`; touch PWNED3\nsecond line é ünï \\ back\\slash $HOME %s`;

describe('create → list → logs → kill', () => {
  it('delivers a nasty prompt as one argument, byte for byte, executing nothing', async () => {
    const r = await fleet(sb, ['create', 'fix-auth', '--prompt', NASTY], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/created fix-auth/);
    const got = await rec.prompt('fix-auth');
    expect(got).toBe(NASTY);
    const wt = path.join(sb.fleetHome, 'worktrees', 'repo', 'fix-auth');
    for (const f of ['PWNED', 'PWNED2', 'PWNED3']) {
      expect(fs.existsSync(path.join(wt, f))).toBe(false);
      expect(fs.existsSync(path.join(repo, f))).toBe(false);
    }
    // The prompt file the launcher read is gone.
    expect(fs.readdirSync(path.join(sb.fleetHome, 'run'))).toEqual([]);
  });

  it('delivers a 100 KB prompt intact', async () => {
    const big = Array.from({ length: 1500 }, (_, i) => `line ${i}: ${'x'.repeat(40)} 'q' "d" $(no) é`).join('\n');
    expect(Buffer.byteLength(big)).toBeGreaterThan(100_000);
    const r = await fleet(sb, ['create', 'big', '-p', big], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const got = await rec.prompt('big');
    expect(got.length).toBe(big.length);
    expect(got).toBe(big);
  });

  it('sends follow-ups as typed input: bracketed paste, then Enter, byte for byte', async () => {
    expect((await fleet(sb, ['create', 'talk', '-p', 'hi'], { cwd: repo })).exitCode).toBe(0);
    await waitFor(async () => (await fleet(sb, ['logs', 'talk'], { cwd: repo })).stdout.includes('agent talk ready'));
    const text = `${NASTY}\n${'y'.repeat(5000)}`;
    const r = await fleet(sb, ['prompt', 'talk', text], { cwd: repo });
    expect(r.exitCode).toBe(0);
    // Raw terminal: the text arrives as pasted, then the separate Enter key (CR).
    const got = await rec.typed('talk');
    expect(got).toBe(text + '\r');
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'talk', 'PWNED'))).toBe(false);
  });

  it('lists the agent as running, shows its screen, and kill leaves nothing but the branch', async () => {
    expect((await fleet(sb, ['create', 'fix-auth', '-p', 'go'], { cwd: repo })).exitCode).toBe(0);
    const list = await fleet(sb, ['list', '--json'], { cwd: repo });
    expect(list.exitCode).toBe(0);
    const rows = JSON.parse(list.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ repo, branch: 'fix-auth', agent: 'rec', status: 'running', batch_id: null, exit_code: null, session: 'fleet_repo_fix-auth' });
    expect(new Date(rows[0].created_at).toISOString()).toBe(rows[0].created_at);

    const table = await fleet(sb, ['list'], { cwd: repo });
    expect(table.stdout).toMatch(/BRANCH\s+BATCH\s+AGENT\s+STATUS/);
    expect(table.stdout).toMatch(/fix-auth\s+-\s+rec\s+running/);

    const logs = await waitFor(async () => {
      const l = await fleet(sb, ['logs', 'fix-auth', '-n', '5'], { cwd: repo });
      return l.stdout.includes('agent fix-auth ready') ? l : null;
    });
    expect(logs.exitCode).toBe(0);

    const wt = rows[0].worktree as string;
    expect(fs.existsSync(wt)).toBe(true);
    const kill = await fleet(sb, ['kill', 'fix-auth'], { cwd: repo });
    expect(kill.exitCode).toBe(0);
    expect(kill.stdout).toMatch(/killed fix-auth: session ended, worktree removed, branch fix-auth kept/);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_fix-auth')).exitCode).not.toBe(0);
    expect(fs.existsSync(wt)).toBe(false);
    expect(await sb.git(repo, 'worktree', 'list', '--porcelain')).not.toContain(wt);
    expect(readState(sb).agents).toEqual([]);
    expect(await sb.git(repo, 'branch', '--list', 'fix-auth')).toContain('fix-auth');
  });

  it('keeps a worktree with uncommitted work unless --force', async () => {
    expect((await fleet(sb, ['create', 'dirty', '-p', 'go'], { cwd: repo })).exitCode).toBe(0);
    const wt = path.join(sb.fleetHome, 'worktrees', 'repo', 'dirty');
    fs.writeFileSync(path.join(wt, 'work.txt'), 'precious');
    const kill = await fleet(sb, ['kill', 'dirty'], { cwd: repo });
    expect(kill.exitCode).toBe(1);
    expect(kill.stderr).toMatch(/^error: "dirty" has uncommitted changes .*work\.txt/m);
    expect(kill.stderr).toMatch(/^hint: .*fleet kill dirty --force/m);
    expect(fs.readFileSync(path.join(wt, 'work.txt'), 'utf8')).toBe('precious');
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_dirty')).exitCode).toBe(0);
    expect(readState(sb).agents).toHaveLength(1);

    const forced = await fleet(sb, ['kill', 'dirty', '--force'], { cwd: repo });
    expect(forced.exitCode).toBe(0);
    expect(fs.existsSync(wt)).toBe(false);
    expect(readState(sb).agents).toEqual([]);
  });

  it('keeps the exit code and the screen of an agent that exited', async () => {
    const r = await fleet(sb, ['create', 'quick', '--agent', 'shell', '-p', 'echo "done here"; exit 3'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    const row = await waitFor(async () => {
      const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
      return rows[0]?.status === 'exited' ? rows[0] : null;
    });
    expect(row.exit_code).toBe(3);
    const logs = await fleet(sb, ['logs', 'quick'], { cwd: repo });
    expect(logs.stdout).toContain('done here');
    expect(logs.stdout).not.toMatch(/Pane is dead/);
  });
});

describe('fix-1 and fix-10', () => {
  it('coexist, and operations on one leave the other alone', async () => {
    for (const b of ['fix-1', 'fix-10']) expect((await fleet(sb, ['create', b, '-p', `task ${b}`], { cwd: repo })).exitCode).toBe(0);
    for (const b of ['fix-1', 'fix-10']) {
      await waitFor(async () => (await fleet(sb, ['logs', b], { cwd: repo })).stdout.includes(`agent ${b} ready`));
    }
    expect((await fleet(sb, ['prompt', 'fix-1', 'only for one'], { cwd: repo })).exitCode).toBe(0);
    expect(await rec.typed('fix-1')).toBe('only for one\r');
    expect(rec.read('fix-10', 'input') ?? '').toBe('');

    const logs1 = await fleet(sb, ['logs', 'fix-1'], { cwd: repo });
    expect(logs1.stdout).toContain('agent fix-1 ready');
    expect(logs1.stdout).not.toContain('agent fix-10 ready');

    expect((await fleet(sb, ['kill', 'fix-1', '--force'], { cwd: repo })).exitCode).toBe(0);
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    expect(rows.map((r: { branch: string; status: string }) => [r.branch, r.status])).toEqual([['fix-10', 'running']]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'fix-10'))).toBe(true);
  });
});

describe('two repositories', () => {
  it('can each have an agent on branch main-fix', async () => {
    const other = await sb.repo('other');
    expect((await fleet(sb, ['create', 'main-fix', '-p', 'a'], { cwd: repo })).exitCode).toBe(0);
    expect((await fleet(sb, ['create', 'main-fix', '-p', 'b'], { cwd: other })).exitCode).toBe(0);
    const mine = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    const theirs = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: other })).stdout);
    expect(mine.map((r: { repo: string }) => r.repo)).toEqual([repo]);
    expect(theirs.map((r: { repo: string }) => r.repo)).toEqual([other]);
    expect(mine[0].session).not.toBe(theirs[0].session);
    expect((await fleet(sb, ['kill', 'main-fix'], { cwd: other })).exitCode).toBe(0);
    const still = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout);
    expect(still).toHaveLength(1);
    expect(still[0].status).toBe('running');
  });

  it('can both be called "app" (two clones) and still each have main-fix', async () => {
    const one = await sb.repo('one/app');
    const two = await sb.repo('two/app');
    expect((await fleet(sb, ['create', 'main-fix', '-p', 'a'], { cwd: one })).exitCode).toBe(0);
    const r = await fleet(sb, ['create', 'main-fix', '-p', 'b'], { cwd: two });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [a] = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: one })).stdout);
    const [b] = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: two })).stdout);
    expect(a.session).toBe('fleet_app_main-fix');
    expect(b.session).toMatch(/^fleet_app-[0-9a-f]{6}_main-fix$/);
    expect(b.worktree).toMatch(/\/worktrees\/app-[0-9a-f]{6}\/main-fix$/);
    expect([a.status, b.status]).toEqual(['running', 'running']);
    // The second clone's agents keep their name; prune in either repository leaves the other's alone.
    expect((await fleet(sb, ['create', 'second', '-p', 'c'], { cwd: two })).stdout).toContain(b.worktree.replace(/main-fix$/, 'second'));
    expect((await fleet(sb, ['prune', '--yes'], { cwd: one })).exitCode).toBe(0);
    expect((await fleet(sb, ['prune', '--yes'], { cwd: two })).exitCode).toBe(0);
    expect(JSON.parse((await fleet(sb, ['list', '--all', '--json'], { cwd: one })).stdout)).toHaveLength(3);
  });

  it('acts on the repository of whichever worktree it is run from', async () => {
    expect((await fleet(sb, ['create', 'inner', '-p', 'a'], { cwd: repo })).exitCode).toBe(0);
    const wt = path.join(sb.fleetHome, 'worktrees', 'repo', 'inner');
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: wt })).stdout);
    expect(rows.map((r: { branch: string }) => r.branch)).toEqual(['inner']);
  });
});
