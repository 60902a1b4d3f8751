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
  for (const b of ['one', 'two']) expect((await fleet(sb, ['create', b, '--quick', '-p', 'sleep 60'], { cwd: repo })).exitCode).toBe(0);
});
afterEach(async () => {
  await sb.cleanup();
});

const aside = () => fs.readdirSync(sb.fleetHome).filter((f) => f.startsWith('state.json.corrupt-'));

describe('records of the wrong shape in state.json', () => {
  it('are set aside with one warning (the file kept as it was); the good ones stay; list and prune work', async () => {
    const state = readState(sb);
    const [one, two] = state.agents;
    state.agents = [
      one!,
      { repo, branch: 'half' }, // no session, worktree or anything else
      { ...two!, copied_files: 'oops' }, // a field of the wrong type
      42,
      null,
      { ...one!, session: 'fleet_repo_one-copy' }, // a second record for the same agent
    ] as never;
    const text = JSON.stringify(state);
    fs.writeFileSync(stateFile, text);

    const r = await fleet(sb, ['list', '--json'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/Cannot read properties|at .*\.js:\d+/);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    // "two" had a bad field: set aside, then found again from its live tmux session.
    expect(warnings[0]).toMatch(/state\.json had 5 records of the wrong shape; set them aside \(the file as it was is in state\.json\.corrupt-\S+\) and rebuilt 1 record from tmux$/);
    expect((JSON.parse(r.stdout) as { branch: string }[]).map((a) => a.branch).sort()).toEqual(['one', 'two']);
    expect(aside()).toHaveLength(1);
    expect(fs.readFileSync(path.join(sb.fleetHome, aside()[0]!), 'utf8')).toBe(text);
    expect(readState(sb).agents.map((a) => a.branch).sort()).toEqual(['one', 'two']);

    const again = await fleet(sb, ['list'], { cwd: repo });
    expect(again.stderr).toBe('');
    const p = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stdout).toBe('nothing to prune');
  });

  it('prune of a wrong-shaped record that tmux cannot account for does not crash either', async () => {
    const state = readState(sb);
    state.agents.push({ repo, branch: 'ghost', phase: 'ready' });
    fs.writeFileSync(stateFile, JSON.stringify(state));
    const p = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/^warning: .*state\.json had 1 record of the wrong shape; set it aside/m);
    expect(p.stdout).toBe('nothing to prune');
    expect(readState(sb).agents.map((a) => a.branch).sort()).toEqual(['one', 'two']);
  });
});
