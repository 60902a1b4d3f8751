import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, readState, standIn, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let hung: number | null = null;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  if (hung !== null) {
    try {
      process.kill(hung, 'SIGKILL');
    } catch {
      // gone
    }
    hung = null;
  }
  await sb.cleanup();
});

describe('the state lock', () => {
  it('a fleet killed while holding it does not hold up the next one: its lock is broken once its process is gone', async () => {
    expect((await fleet(sb, ['create', 'a', '--quick', '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
    const stateFile = path.join(sb.fleetHome, 'state.json');
    const lockDir = `${stateFile}.lock`;
    // A corrupt state.json is rebuilt from tmux with the lock held; a tmux that hangs keeps it held.
    fs.writeFileSync(stateFile, '{ not json');
    const marker = path.join(sb.dir, 'tmux-called');
    const fakeTmux = standIn(sb, 'tmux', `echo $$ > ${marker}; exec sleep 600`);
    const holder = execa(process.execPath, [CLI, 'kill', 'a'], {
      cwd: repo, env: { ...sb.env, PATH: `${path.dirname(fakeTmux)}:${sb.env.PATH}` }, extendEnv: false, reject: false,
    });
    await waitFor(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() !== '', { what: 'fleet to hold the lock' });
    hung = Number(fs.readFileSync(marker, 'utf8'));
    expect(fs.existsSync(lockDir)).toBe(true);
    holder.kill('SIGKILL');
    await holder;
    // Its lock stays behind, fresh: by its age alone it would look held for a long while yet.
    expect(fs.existsSync(lockDir)).toBe(true);
    const future = new Date(Date.now() + 3600_000);
    fs.utimesSync(lockDir, future, future);

    const r = await fleet(sb, ['list', '--json'], { cwd: repo, timeout: 12_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ branch: 'a' })]);
    // The killed fleet had moved the corrupt file aside before it hung: the next one rebuilds.
    expect(r.stderr).toMatch(/rebuilt 1 record/);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['a']);
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('a live holder is waited for, not robbed', async () => {
    const stateFile = path.join(sb.fleetHome, 'state.json');
    const lockDir = `${stateFile}.lock`;
    fs.mkdirSync(lockDir, { recursive: true });
    // A live process of this host holds it (this test's own process: it certainly runs), and
    // its lock is old by its mtime: only the owner says it is held.
    const owner = JSON.stringify({ pid: process.pid, start: null, host: os.hostname() });
    fs.writeFileSync(path.join(lockDir, 'owner'), owner);
    const past = new Date(Date.now() - 3600_000);
    fs.utimesSync(lockDir, past, past);

    let done = false;
    const creating = fleet(sb, ['create', 'b', '--quick', '-p', 'sleep 60'], { cwd: repo }).finally(() => (done = true));
    // Not a wait for something to happen: the time in which fleet must NOT break the lock.
    await new Promise((r) => setTimeout(r, 3000));
    expect(done).toBe(false);
    expect(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')).toBe(owner);
    expect(readState(sb).agents).toEqual([]);

    fs.rmSync(lockDir, { recursive: true });
    const r = await creating;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['b']);
  });
});
