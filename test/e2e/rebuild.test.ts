import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

interface Listed {
  branch: string;
  agent: string;
  status: string;
  worktree: string;
  exit_code: number | null;
}

let sb: Sandbox;
let repo: string;
let stateFile: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
  stateFile = path.join(sb.fleetHome, 'state.json');
  for (const [b, p] of [['one', 'sleep 60'], ['two', 'sleep 60'], ['done', 'exit 4']]) {
    const r = await fleet(sb, ['create', b!, '--quick', '-p', p!], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
  }
  await waitFor(async () => {
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Listed[];
    return rows.find((a) => a.branch === 'done')?.status === 'exited';
  });
});
afterEach(async () => {
  await sb.cleanup();
});

function asideFiles(): string[] {
  return fs.readdirSync(sb.fleetHome).filter((f) => f.startsWith('state.json.corrupt-'));
}

async function expectRebuilt(warning: RegExp): Promise<void> {
  const r = await fleet(sb, ['list', '--json'], { cwd: repo });
  expect(r.exitCode).toBe(0);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(warning);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  const rows = JSON.parse(r.stdout) as Listed[];
  expect(rows.map((a) => a.branch).sort()).toEqual(['done', 'one', 'two']);
  for (const a of rows) {
    expect(a.agent).toBe('shell');
    expect(a.worktree).toBe(path.join(sb.fleetHome, 'worktrees', 'repo', a.branch));
  }
  expect(rows.find((a) => a.branch === 'one')!.status).not.toBe('missing');
  expect(rows.find((a) => a.branch === 'done')).toMatchObject({ status: 'exited', exit_code: 4 });
  // Rebuilt for good: the next list is quiet and the file is valid again.
  const again = await fleet(sb, ['list', '--json'], { cwd: repo });
  expect(again.stderr).toBe('');
  expect(readState(sb).agents).toHaveLength(3);
}

describe('state.json rebuilt from tmux', () => {
  it('garbage: moved aside with one warning, every live agent listed', async () => {
    fs.writeFileSync(stateFile, 'this is not json {{{');
    await expectRebuilt(/state\.json was unreadable; moved it to state\.json\.corrupt-\S+ and rebuilt 3 record\(s\) from tmux/);
    const aside = asideFiles();
    expect(aside).toHaveLength(1);
    expect(fs.readFileSync(path.join(sb.fleetHome, aside[0]!), 'utf8')).toBe('this is not json {{{');
  });

  it('truncated mid-write: the same', async () => {
    const text = fs.readFileSync(stateFile, 'utf8');
    fs.writeFileSync(stateFile, text.slice(0, Math.floor(text.length / 2)));
    await expectRebuilt(/was unreadable; moved it to state\.json\.corrupt-/);
    expect(asideFiles()).toHaveLength(1);
  });

  it('valid JSON of the wrong shape, and an empty file: the same', async () => {
    fs.writeFileSync(stateFile, '{"agents": "lots"}');
    await expectRebuilt(/was unreadable/);
    fs.writeFileSync(stateFile, '');
    await expectRebuilt(/was unreadable/);
  });

  it('deleted: rebuilt with one warning, nothing to move aside', async () => {
    fs.rmSync(stateFile);
    await expectRebuilt(/state\.json was missing; rebuilt 3 record\(s\) from tmux/);
    expect(asideFiles()).toHaveLength(0);
  });

  it('rebuilt records work: kill ends one, create adds another beside them', async () => {
    fs.writeFileSync(stateFile, '\0\0\0');
    const k = await fleet(sb, ['kill', 'one'], { cwd: repo });
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stderr).toMatch(/^warning: .*was unreadable/m);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_one')).exitCode).not.toBe(0);
    expect(fs.existsSync(path.join(sb.fleetHome, 'worktrees', 'repo', 'one'))).toBe(false);
    const c = await fleet(sb, ['create', 'three', '--quick', '-p', 'sleep 60'], { cwd: repo });
    expect(c.exitCode, c.stderr).toBe(0);
    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Listed[];
    expect(rows.map((a) => a.branch).sort()).toEqual(['done', 'three', 'two']);
  });
});
