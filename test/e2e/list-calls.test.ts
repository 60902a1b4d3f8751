import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

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

/** Programs `list --verbose` ran, counted by name ("+ tmux list-panes …  (4 ms)" lines). */
async function callsOfList(args: string[], cwd: string): Promise<{ counts: Record<string, number>; rows: unknown[] }> {
  const r = await fleet(sb, ['--verbose', 'list', '--json', ...args], { cwd });
  expect(r.exitCode, r.stderr).toBe(0);
  const counts: Record<string, number> = {};
  for (const line of r.stderr.split('\n')) {
    // "+ /proc: 100 processes…" (Linux) or "+ pidusage: …" (elsewhere): one read of all the trees' figures.
    const m = /^\+ (\/proc:|pidusage:|\S+)/.exec(line);
    const what = m?.[1]?.endsWith(':') ? 'stats' : m?.[1];
    if (what) counts[what] = (counts[what] ?? 0) + 1;
  }
  return { counts, rows: JSON.parse(r.stdout) as unknown[] };
}

async function create(branch: string, prompt: string): Promise<void> {
  const r = await fleet(sb, ['create', branch, '--quick', '-p', prompt], { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('list makes a constant number of tmux, git and ps calls', () => {
  it('the same calls for 1 agent as for 8 of every status: one tmux, one ps, one git', async () => {
    await create('a1', 'sleep 60');
    const one = await callsOfList([], repo);
    expect(one.rows).toHaveLength(1);
    expect(one.counts).toEqual({ git: 1, tmux: 1, ps: 1, stats: 1 });

    for (let i = 2; i <= 6; i++) await create(`a${i}`, `sh -c 'sleep 60 & sleep 60'`);
    await create('ended', 'exit 2');
    await create('lost', 'sleep 60');
    await sb.tmux('kill-session', '-t', '=fleet_repo_lost');
    await waitFor(async () => JSON.stringify((await callsOfList([], repo)).rows).includes('"exit_code":2'), { what: 'ended to exit' });

    const eight = await callsOfList([], repo);
    expect(eight.rows).toHaveLength(8);
    expect(eight.counts).toEqual(one.counts);

    // --all from outside any repository: no git call at all beyond the failed repo lookup.
    const all = await callsOfList(['--all'], sb.dir);
    expect(all.rows).toHaveLength(8);
    expect(all.counts).toEqual({ git: 1, tmux: 1, ps: 1, stats: 1 });
  });

  it('no agents: the same three calls, no figures to read', async () => {
    await fleet(sb, ['list'], { cwd: repo }); // the very first command also looks in tmux for records to rebuild
    const none = await callsOfList([], repo);
    expect(none.rows).toEqual([]);
    expect(none.counts).toEqual({ git: 1, tmux: 1, ps: 1 });
  });
});
