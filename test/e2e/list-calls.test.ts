import fs from 'node:fs';
import path from 'node:path';
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

  it('50 agents with hooks, in every state: still one tmux call, the ones that need the user first', async () => {
    // A claude that only sits there: its flags (hooks, session id) are fleet's, its state is set below as its hooks would.
    const bin = path.join(sb.dir, 'lite');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    const r = await fleet(sb, ['fanout', '50', 'h', '--agent', 'claude', '--quick', '-p', 'x'], { cwd: repo, env: { PATH: `${bin}:${process.env.PATH}` }, timeout: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    // Later than each session's creation, as a hook's is.
    const at = String(Math.floor(Date.now() / 1000) + 1);
    for (let i = 1; i <= 50; i++) {
      const t = `=fleet_repo_h-${i}:`;
      const state = i % 4 === 0 ? 'waiting' : i % 4 === 1 ? 'working' : i % 4 === 2 ? 'done' : '';
      if (state) expect((await sb.tmux('set', '-t', t, '@fleet_state', state, ';', 'set', '-t', t, '@fleet_state_at', at, ';', 'set', '-t', t, '@fleet_reason', `permission: Bash(job ${i})`)).exitCode).toBe(0);
    }
    const fifty = await callsOfList([], repo);
    expect(fifty.counts).toEqual({ git: 1, tmux: 1, ps: 1, stats: 1 });
    const listed = fifty.rows as Array<{ branch: string; status: string; state_reason: string | null }>;
    expect(listed).toHaveLength(50);
    expect(listed.slice(0, 12).every((a) => a.status === 'waiting')).toBe(true);
    expect(listed[0]).toMatchObject({ branch: 'h-4', state_reason: 'permission: Bash(job 4)' });
    expect(new Set(listed.map((a) => a.status))).toEqual(new Set(['waiting', 'working', 'done', 'starting']));
  }, 400_000);
});