import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let stateFile: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
  stateFile = path.join(sb.fleetHome, 'state.json');
});
afterEach(async () => {
  await sb.cleanup();
});

/** A pid whose process has ended (and been reaped). */
const deadPid = () => spawnSync('true').pid;

/** Rewrite the records in state.json as a fleet killed at some moment would have left them. */
function editRecords(edit: (a: Record<string, unknown>) => void): void {
  const state = readState(sb);
  state.agents.forEach(edit);
  fs.writeFileSync(stateFile, JSON.stringify(state));
}

interface Listed {
  branch: string;
  status: string;
}
const list = async () => JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Listed[];
const hasSession = async (name: string) => (await sb.tmux('has-session', '-t', `=${name}`)).exitCode === 0;

describe('the owner of a set-up', () => {
  it('an agent whose fleet died after starting its session but before recording it ready is running; prune keeps it', async () => {
    expect((await fleet(sb, ['create', 'live', '--quick', '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
    // Exactly what a fleet killed between newSession and the final update leaves.
    editRecords((a) => Object.assign(a, { phase: 'creating', owner_pid: deadPid(), owner_start: '1' }));

    expect(await list()).toEqual([expect.objectContaining({ branch: 'live', status: 'running' })]);
    expect(readState(sb).agents).toEqual([expect.objectContaining({ branch: 'live', phase: 'ready', owner_pid: null })]);
    editRecords((a) => Object.assign(a, { phase: 'creating', owner_pid: deadPid(), owner_start: '1' }));

    const p = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toBe('nothing to prune');
    expect(await hasSession('fleet_repo_live')).toBe(true);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'live'))).toBe(true);
  });

  it("a set-up whose owner pid now belongs to another process is seen as failed: the pid's start time differs", async () => {
    expect((await fleet(sb, ['create', 'half', '--quick', '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
    await sb.tmux('kill-session', '-t', '=fleet_repo_half');
    // A live process of ours took the dead owner's pid.
    const other = spawn('sleep', ['60']);
    try {
      editRecords((a) => Object.assign(a, { phase: 'creating', owner_pid: other.pid, owner_start: '12345' }));
      expect(await list()).toEqual([expect.objectContaining({ branch: 'half', status: 'setup-failed' })]);
      const p = await fleet(sb, ['prune', '--yes'], { cwd: repo });
      expect(p.exitCode, p.stderr).toBe(0);
      expect(p.stdout).toMatch(/^removed record half \(its set-up never finished; its clean worktree removed\)$/m);
      expect(readState(sb).agents).toEqual([]);
      expect(other.exitCode).toBeNull(); // and that other process was left alone
    } finally {
      other.kill('SIGKILL');
    }
  });
});
