import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  await sb.cleanup();
});

const sessions = async () => (await sb.tmux('list-sessions', '-F', '#{session_name}')).stdout.split('\n').filter(Boolean).sort();
const listed = async () => {
  const r = await fleet(sb, ['list', '--json'], { cwd: repo });
  expect(r.exitCode).toBe(0);
  return (JSON.parse(r.stdout) as Array<{ branch: string; session: string; status: string }>).sort((a, b) => a.branch.localeCompare(b.branch));
};

describe('branch names that tmux would fold together', () => {
  it('feat/login and feat-login get a session each, and kill ends only its own', async () => {
    for (const b of ['feat/login', 'feat-login', 'feat.login']) {
      const r = await fleet(sb, ['create', b, '-p', `echo "I am $FLEET_BRANCH"; sleep 300`], { cwd: repo });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }
    const names = await sessions();
    expect(names).toHaveLength(3);
    expect(names).toContain('fleet_repo_feat-login'); // a name tmux keeps as it is stays readable
    for (const n of names) expect(n).toMatch(/^fleet_repo_feat-login(-[0-9a-f]{6})?$/);
    for (const b of ['feat/login', 'feat-login', 'feat.login']) {
      await waitFor(async () => (await fleet(sb, ['logs', b], { cwd: repo })).stdout.includes(`I am ${b}`), { what: `${b}'s own screen` });
    }

    const k = await fleet(sb, ['kill', 'feat-login'], { cwd: repo });
    expect(k.exitCode).toBe(0);
    expect((await listed()).map((a) => [a.branch, a.status])).toEqual([
      ['feat.login', 'running'],
      ['feat/login', 'running'],
    ]);
    expect(await sessions()).not.toContain('fleet_repo_feat-login');
  });

  it('a branch named like a hashed session name cannot take that session', async () => {
    expect((await fleet(sb, ['create', 'feat/login', '-p', 'sleep 300'], { cwd: repo })).exitCode).toBe(0);
    const [taken] = await sessions();
    const lookalike = taken!.slice('fleet_repo_'.length); // feat-login-<hash>: a valid branch name
    const r = await fleet(sb, ['create', lookalike, '-p', 'sleep 300'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(new Set(await sessions()).size).toBe(2);
  });

  it('state rebuilt from tmux alone knows which session is which branch', async () => {
    for (const b of ['feat/login', 'feat-login']) expect((await fleet(sb, ['create', b, '-p', 'sleep 300'], { cwd: repo })).exitCode).toBe(0);
    const before = await listed();
    fs.rmSync(path.join(sb.fleetHome, 'state.json'));
    const after = await listed();
    expect(after.map((a) => [a.branch, a.session])).toEqual(before.map((a) => [a.branch, a.session]));
    expect((await fleet(sb, ['kill', 'feat/login'], { cwd: repo })).exitCode).toBe(0);
    expect((await listed()).map((a) => a.branch)).toEqual(['feat-login']);
  });

  it('a session in the way that is not fleet\'s: the hint never says to kill it', async () => {
    await sb.tmux('new-session', '-d', '-s', 'fleet_repo_mine', 'sleep 300');
    const r = await fleet(sb, ['create', 'mine', '-p', 'x'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: tmux session "fleet_repo_mine" already exists and is not one of fleet's agents$/m);
    expect(r.stderr).toMatch(/^hint: .*pick another branch name/m);
    expect(r.stderr).not.toMatch(/kill-session/);
  });

  it('a session in the way that runs fleet\'s agent of another branch (an older fleet named both alike): no kill hint either', async () => {
    // An older fleet gave feat/login the plain name: the session of a live agent, which feat-login now maps to.
    await sb.tmux('new-session', '-d', '-s', 'fleet_repo_feat-login', 'sleep 300');
    for (const [k, v] of [['repo', repo], ['branch', 'feat/login'], ['agent', 'shell'], ['worktree', path.join(sb.fleetHome, 'worktrees', 'repo', 'feat', 'login')]]) {
      await sb.tmux('set-option', '-t', '=fleet_repo_feat-login:', `@fleet_${k}`, v!);
    }
    const r = await fleet(sb, ['create', 'feat-login', '-p', 'x'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: the tmux session name "fleet_repo_feat-login" belongs to fleet's agent on branch "feat\/login"/m);
    expect(r.stderr).not.toMatch(/kill/);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_feat-login')).exitCode).toBe(0);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['feat/login']);
  });
});

describe('a branch name too long for the file system', () => {
  it('is refused up front with the reason, not an ENAMETOOLONG from the clean-up, and nothing is made', async () => {
    const long = 'a'.repeat(300);
    const r = await fleet(sb, ['create', long, '-p', 'x'], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toMatch(/ENAMETOOLONG|\n\s+at /);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: branch name "a{40}…" is too long: .*300 bytes.*at most 250 bytes/);
    expect(lines.slice(1)).toEqual(['hint: use a shorter branch name']);
    expect((await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n')).toEqual(['main']);
    expect(readState(sb).agents).toEqual([]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo'))).toBe(false);
  });

  it('a long branch whose parts fit works, with a session name short enough to name files after', async () => {
    const long = `x/${'b'.repeat(240)}/y`;
    const r = await fleet(sb, ['create', long, '-p', 'echo started; sleep 300'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const [name] = await sessions();
    expect(name!.length).toBeLessThanOrEqual(120);
    expect((await listed()).map((a) => [a.branch, a.session])).toEqual([[long, name]]);
    await waitFor(async () => (await fleet(sb, ['logs', long], { cwd: repo })).stdout.includes('started'));
  });
});
