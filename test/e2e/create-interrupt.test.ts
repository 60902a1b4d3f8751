import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, makeSandbox, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
});
afterEach(async () => {
  await sb.cleanup();
});

describe('Ctrl+C during create', () => {
  it('rolls back the half-made agent and exits 130', async () => {
    const marker = path.join(sb.dir, 'setup-started');
    writeConfig(sb, `default_agent = "shell"\nsetup_commands = ["touch ${marker}; sleep 30"]\n`);
    // detached: its own process group, which we signal as a terminal would on Ctrl+C.
    const child = execa(process.execPath, [CLI, 'create', 'slow', '-p', 'echo hi'], {
      cwd: repo, env: sb.env, extendEnv: false, reject: false, detached: true,
    });
    await waitFor(() => fs.existsSync(marker), { what: 'setup to start' });
    expect(readState(sb).agents.map((a) => a.phase)).toEqual(['creating']);
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/^error: interrupted: "slow" was not created; everything made was rolled back$/m);
    expect(readState(sb).agents).toEqual([]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'slow'))).toBe(false);
    expect(await sb.git(repo, 'branch', '--list', 'slow')).toBe('');
    expect(await sb.git(repo, 'worktree', 'list', '--porcelain')).not.toContain('slow');
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_slow')).exitCode).not.toBe(0);
  });

  it('on a real terminal: the ^C byte typed into the terminal rolls back and exits 130', async () => {
    const marker = path.join(sb.dir, 'setup-started');
    writeConfig(sb, `default_agent = "shell"\nsetup_commands = ["touch ${marker}; sleep 30"]\n`);
    // `script` runs fleet on a pseudo-terminal whose input is our stdin: writing \x03 there is
    // exactly a user pressing Ctrl+C (the terminal, not us, turns it into SIGINT, if it is in
    // the mode that does). A window size, or a spinner on a 0-column terminal has no line to redraw.
    const child = execa('script', ['-qfec', `stty cols 100 rows 30; exec ${process.execPath} ${CLI} create slow -p 'echo hi'`, '/dev/null'], {
      cwd: repo, env: { ...sb.env, TERM: 'xterm' }, extendEnv: false, reject: false, stdin: 'pipe', all: true,
    });
    await waitFor(() => fs.existsSync(marker), { what: 'setup to start', timeout: 20_000 });
    child.stdin.write('\x03');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.all).toMatch(/error: interrupted: "slow" was not created; everything made was rolled back/);
    expect(readState(sb).agents).toEqual([]);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'slow'))).toBe(false);
    expect(await sb.git(repo, 'branch', '--list', 'slow')).toBe('');
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_slow')).exitCode).not.toBe(0);
  }, 60_000);
});
