import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PrunePlan } from '../../src/core/prune-plan.js';
import type { FleetOption } from '../../src/core/parse.js';
import { gatherPrunePlan } from '../../src/ops/prune.js';
import type { AgentRecord } from '../../src/state/types.js';
import { LIST_PANES, fakeContext, fakeRunner, paneLine, porcelain, record, type TestContext } from '../helpers/fake-runner.js';

/** A pid no process has (above Linux's pid_max): the owner of a set-up that died. */
const DEAD_PID = 2 ** 30;

interface Case {
  name: string;
  /** Records of every repository; `root` is worktree_root. */
  records?: (root: string) => AgentRecord[];
  panes?: { session: string; dead?: boolean; fleet?: Partial<Record<FleetOption, string>> }[];
  /** Worktrees besides the main checkout; paths relative to worktree_root unless absolute. */
  worktrees?: { path: string; branch?: string; locked?: boolean; prunable?: boolean }[];
  /** The parts of the plan this case is about (the others must be empty). */
  plan: Partial<Record<keyof PrunePlan, unknown[]>>;
}

const cases: Case[] = [
  { name: 'nothing left over: an empty plan', records: (root) => [record('live', { worktree: `${root}/repo/live` })], panes: [{ session: 'fleet_repo_live' }], worktrees: [{ path: 'repo/live', branch: 'live' }], plan: {} },
  {
    name: 'a record whose session is gone',
    records: (root) => [record('lost', { worktree: `${root}/repo/lost` })],
    worktrees: [{ path: 'repo/lost', branch: 'lost' }],
    plan: { records: [{ branch: 'lost', reason: 'missing' }] },
  },
  {
    name: 'a record whose set-up died with its fleet process',
    records: () => [record('half', { phase: 'creating', owner_pid: DEAD_PID })],
    plan: { records: [{ branch: 'half', reason: 'setup-failed' }] },
  },
  { name: 'a set-up still in progress is left alone', records: () => [record('making', { phase: 'creating', owner_pid: process.pid })], plan: {} },
  {
    name: 'a fleet session of this repository that no record claims (by its @fleet_repo)',
    panes: [{ session: 'fleet_repo_orphan', fleet: { repo: '/repo' } }, { session: 'fleet_repo_dead', dead: true, fleet: { repo: '/repo' } }],
    plan: { sessions: [{ name: 'fleet_repo_orphan', alive: true }, { name: 'fleet_repo_dead', alive: false }] },
  },
  { name: 'a session without fleet options is ours by its name', panes: [{ session: 'fleet_repo_old' }], plan: { sessions: [{ name: 'fleet_repo_old', alive: true }] } },
  {
    name: "another repository's sessions, the user's own sessions, and sessions another repo's record claims are left alone",
    records: () => [record('x', { repo: '/other', session: 'fleet_repo_claimed' })],
    panes: [{ session: 'fleet_other_a', fleet: { repo: '/other' } }, { session: 'work' }, { session: 'fleet_repo_claimed' }],
    plan: {},
  },
  {
    name: 'a worktree under worktree_root/<repo> that no record claims (also the hashed name of a second clone)',
    worktrees: [{ path: 'repo/stray', branch: 'stray' }, { path: 'repo-0a1b2c/twin', branch: 'twin' }],
    plan: { worktrees: [{ path: 'repo/stray', branch: 'stray' }, { path: 'repo-0a1b2c/twin', branch: 'twin' }] },
  },
  {
    name: 'worktrees outside this repository\'s directory under worktree_root are not ours',
    worktrees: [{ path: 'other/x', branch: 'x' }, { path: 'repository/y', branch: 'y' }, { path: '/elsewhere/z', branch: 'z' }],
    plan: {},
  },
  {
    name: 'a worktree whose directory is gone, and a locked one',
    worktrees: [{ path: 'repo/deleted', branch: 'deleted', prunable: true }, { path: 'repo/kept', branch: 'kept', locked: true }],
    plan: { stale: [{ path: 'repo/deleted', branch: 'deleted', detachedHead: null }], skipped: [{ path: 'repo/kept', why: 'it is locked (git worktree unlock, then prune again)' }] },
  },
  {
    name: "a record whose worktree directory was deleted, even with its agent still running; git's entry for it",
    records: (root) => [record('vanished', { worktree: `${root}/repo/vanished` })],
    panes: [{ session: 'fleet_repo_vanished' }],
    worktrees: [{ path: 'repo/vanished', branch: 'vanished', prunable: true }],
    plan: { records: [{ branch: 'vanished', reason: 'worktree-missing' }], stale: [{ path: 'repo/vanished', branch: 'vanished', detachedHead: null }] },
  },
  {
    name: 'a deleted worktree whose HEAD was detached: the commit git still keeps for it is named',
    worktrees: [{ path: 'repo/loose', prunable: true }],
    plan: { stale: [{ path: 'repo/loose', branch: null, detachedHead: 'a'.repeat(40) }] },
  },
];

/** Plan entries with paths relative to worktree_root and records by branch, for comparing. */
function readable(plan: PrunePlan, root: string): Record<string, unknown[]> {
  const rel = (p: string) => (p.startsWith(root + '/') ? path.relative(root, p) : p);
  return {
    records: plan.records.map((r) => ({ branch: r.record.branch, reason: r.reason })),
    sessions: plan.sessions,
    worktrees: plan.worktrees.map((w) => ({ ...w, path: rel(w.path) })),
    stale: plan.stale.map((w) => ({ ...w, path: rel(w.path) })),
    skipped: plan.skipped.map((s) => ({ ...s, path: rel(s.path) })),
  };
}

describe('prune planning (one tmux call, one git call, then pure)', () => {
  it.each(cases)('$name', async (c) => {
    const f = fakeRunner();
    const ctx: TestContext = await fakeContext(f);
    const root = ctx.config.worktree_root;
    fs.mkdirSync(root, { recursive: true });
    await ctx.state.update(() => c.records?.(root) ?? []);
    f.on(LIST_PANES, c.panes ? { stdout: c.panes.map(paneLine).join('\n') } : { exitCode: 1, stderr: 'no server running on /tmp/x' });
    const worktrees = (c.worktrees ?? []).map((w) => ({ ...w, path: path.isAbsolute(w.path) ? w.path : path.join(root, w.path) }));
    // The worktrees are there on disk, except the ones git calls prunable (their directory is gone).
    for (const w of worktrees) if (!w.prunable && w.path.startsWith(root)) fs.mkdirSync(w.path, { recursive: true });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, ...worktrees]) }, { cwd: '/repo' });

    const plan = await gatherPrunePlan(ctx);
    expect(readable(plan, root)).toEqual({ records: [], sessions: [], worktrees: [], stale: [], skipped: [], ...c.plan });
  });
});
