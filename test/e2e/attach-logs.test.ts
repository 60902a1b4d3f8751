import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

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

describe('logs', () => {
  it('prints the last -n lines of screen and scrollback', async () => {
    expect((await fleet(sb, ['create', 'counter', '-p', 'for i in $(seq 1 300); do echo "row $i"; done; sleep 60'], { cwd: repo })).exitCode).toBe(0);
    await waitFor(async () => (await fleet(sb, ['logs', 'counter', '-n', '1'], { cwd: repo })).stdout === 'row 300');
    const r = await fleet(sb, ['logs', 'counter', '-n', '120'], { cwd: repo });
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(120);
    expect(lines[0]).toBe('row 181');
    expect(lines.at(-1)).toBe('row 300');
    const bad = await fleet(sb, ['logs', 'counter', '-n', 'lots'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: -n wants a whole number/);
  });

  it('--follow prints new output as it comes and stops when the agent exits', async () => {
    const flag = path.join(sb.dir, 'go');
    const script = `echo first; while [ ! -e ${flag} ]; do sleep 0.05; done; echo second; echo third; exit 5`;
    expect((await fleet(sb, ['create', 'slow', '-p', script], { cwd: repo })).exitCode).toBe(0);
    await waitFor(async () => (await fleet(sb, ['logs', 'slow'], { cwd: repo })).stdout.includes('first'));
    const follower = execa(process.execPath, [CLI, 'logs', 'slow', '--follow'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
    let seen = '';
    follower.stdout.on('data', (d) => (seen += String(d)));
    await waitFor(() => seen.includes('first'));
    fs.writeFileSync(flag, '');
    const r = await follower;
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['first', 'second', 'third']);
    expect(r.stderr).toBe('[the agent on "slow" exited with code 5]');
  });
});

describe('attach', () => {
  it('attaches a terminal to the exact session, and returns when the client detaches', async () => {
    for (const b of ['fix-1', 'fix-10']) expect((await fleet(sb, ['create', b, '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
    // `script` gives fleet a real pseudo-terminal, as a user's terminal would.
    const attach = execa('script', ['-qfec', `${process.execPath} ${CLI} attach fix-1`, '/dev/null'], {
      cwd: repo, env: { ...sb.env, TERM: 'xterm' }, extendEnv: false, reject: false, stdin: 'pipe',
    });
    const clients = await waitFor(async () => {
      const r = await sb.tmux('list-clients', '-F', '#{session_name}');
      return r.exitCode === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
    });
    expect(clients).toBe('fleet_repo_fix-1');
    await sb.tmux('detach-client', '-s', '=fleet_repo_fix-1');
    const r = await attach;
    expect(r.exitCode).toBe(0);
  });

  it('refuses to attach to a session that is gone', async () => {
    expect((await fleet(sb, ['create', 'gone', '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
    await sb.tmux('kill-session', '-t', '=fleet_repo_gone');
    const r = await fleet(sb, ['attach', 'gone'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: the tmux session of "gone" is gone/);
  });
});

describe('--verbose', () => {
  it('logs every git and tmux call with its duration on stderr, stdout untouched', async () => {
    const r = await fleet(sb, ['--verbose', 'list', '--json'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const calls = r.stderr.split('\n').filter((l) => l.startsWith('+ '));
    expect(calls.some((l) => /^\+ git rev-parse .*\(\d+ ms\)$/.test(l))).toBe(true);
    expect(calls.some((l) => /^\+ tmux list-panes -a .*\(\d+ ms\)$/.test(l))).toBe(true);
  });

  it('shows a stack trace only with --verbose', async () => {
    const quiet = await fleet(sb, ['logs', 'ghost'], { cwd: repo });
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const loud = await fleet(sb, ['--verbose', 'logs', 'ghost'], { cwd: repo });
    expect(loud.exitCode).toBe(1);
    expect(loud.stderr).toMatch(/\n\s+at /);
  });
});

describe('--version', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await fleet(sb, ['--version']);
    expect(r.stdout).toBe(pkg.version);
  });
});
