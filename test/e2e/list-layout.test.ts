import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, onTerminal, writeConfig, type Sandbox } from '../helpers/sandbox.js';

/** How `fleet list` fits a terminal, and tells repositories apart. */

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

/** The lines `fleet <args>` prints on a terminal `cols` wide. */
async function onNarrow(args: string, cols: number): Promise<string[]> {
  const term = await onTerminal(sb, args, { cols, rows: 40, cwd: repo });
  const { exitCode, lines } = await term.ended();
  expect(exitCode).toBe(0);
  return lines;
}

describe('list on a narrow terminal', () => {
  it('fits 60 columns: one line a row, the least useful columns left out; piped and --json keep everything', async () => {
    const r = await fleet(sb, ['fanout', '3', 'authentication-refactor', '--quick', '-p', 'sleep 600'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = await onNarrow('list', 60);
    expect(rows).toHaveLength(4); // the header and one line per agent: nothing wrapped
    for (const l of rows) expect(l.length).toBeLessThanOrEqual(60);
    // Left out first: WORKTREE, AGE, BATCH (the branch names carry the batch anyway).
    expect(rows[0]).toMatch(/^BRANCH\s+AGENT\s+STATUS\s+CPU\s+MEMORY$/);
    expect(rows[1]).toMatch(/^authentication-refactor-1\s+shell\s+(running|idle)\s+\d+\.\d%\s+\d+(\.\d)? [KM]iB$/);

    // Piped: every column, worktrees relative to worktree_root.
    const piped = await fleet(sb, ['list'], { cwd: repo });
    expect(piped.stdout.split('\n')[0]).toMatch(/^BRANCH\s+BATCH\s+AGENT\s+STATUS\s+CPU\s+MEMORY\s+AGE\s+WORKTREE$/);
    expect(piped.stdout).toMatch(/\srepo\/authentication-refactor-1$/m);
    // --json: the full path.
    const json = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Array<{ worktree: string }>;
    expect(json[0]!.worktree).toBe(path.join(sb.fleetHome, 'worktrees', 'repo', 'authentication-refactor-1'));
  });

  it('--grouped fits too, and a PROMPT column with nothing in it is not shown', async () => {
    expect((await fleet(sb, ['create', 'solo-agent-with-a-long-name', '--quick', '-p', 'sleep 600'], { cwd: repo })).exitCode).toBe(0);
    const withPrompt = await onNarrow('list --grouped', 60);
    expect(withPrompt.every((l) => l.length <= 60)).toBe(true);
    expect(withPrompt).toHaveLength(3); // header, group title, the row

    // Records rebuilt from tmux (state.json lost) have no prompt.
    fs.rmSync(path.join(sb.fleetHome, 'state.json'));
    const grouped = await fleet(sb, ['list', '--grouped'], { cwd: repo });
    expect(grouped.exitCode, grouped.stderr).toBe(0);
    expect(grouped.stdout).toMatch(/solo-agent-with-a-long-name/);
    expect(grouped.stdout.split('\n')[0]).not.toMatch(/PROMPT/);
    expect(grouped.stdout.split('\n')[0]).toMatch(/WORKTREE$/);
  });
});

describe('list --all', () => {
  it('tells apart two clones with the same directory name', async () => {
    const work = await sb.repo('work/app');
    const oss = await sb.repo('oss/app');
    expect((await fleet(sb, ['create', 'fix', '--quick', '-p', 'sleep 600'], { cwd: work })).exitCode).toBe(0);
    expect((await fleet(sb, ['create', 'fix', '--quick', '-p', 'sleep 600'], { cwd: oss })).exitCode).toBe(0);
    const r = await fleet(sb, ['list', '--all'], { cwd: sb.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const repos = r.stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]).sort();
    expect(repos).toEqual(['oss/app', 'work/app']);
  });
});
