import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConflictError, FleetError } from '../../src/errors.js';
import { findCollisions, planCreate, type CreatePlan } from '../../src/core/create-plan.js';
import { resolveProfile } from '../../src/core/profiles.js';
import { createBatch } from '../../src/ops/batch.js';
import { preflight, type PreflightFacts } from '../../src/ops/create-agent.js';
import type { AgentRecord } from '../../src/state/types.js';
import { LIST_PANES, fakeContext, fakeRunner, paneLine, porcelain, record, type FakeRunner, type TestContext } from '../helpers/fake-runner.js';

const HEAD = '1'.repeat(40);
const TIP = '2'.repeat(40);
const OTHER = '3'.repeat(40);

/** The repository as git and tmux would describe it to preflight. */
interface World {
  /** Branches that exist, with their tips. */
  branches?: Record<string, string>;
  /** Other commit-ish that resolve (--base values). */
  refs?: Record<string, string>;
  /** The main checkout's branch; null when detached. */
  head?: string | null;
  /** No commit at all yet. */
  empty?: boolean;
  /** Worktrees besides the main checkout. */
  worktrees?: { path: string; branch: string }[];
  sessions?: string[];
}

/** Script the reads preflight makes: one worktree list, one tmux call, one symbolic-ref, and per plan a branch check and a commit lookup. */
function script(f: FakeRunner, w: World, plans: readonly { branch: string; baseRef: string | null }[]): void {
  const branches = w.branches ?? {};
  const head = w.head === undefined ? 'main' : w.head;
  f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: head }, ...(w.worktrees ?? [])]) }, { cwd: '/repo' });
  f.on(LIST_PANES, w.sessions ? { stdout: w.sessions.map((s) => paneLine({ session: s })).join('\n') } : { exitCode: 1, stderr: 'no server running on /tmp/tmux-1/default' });
  f.on(['git', 'symbolic-ref', '--short', '-q', 'HEAD'], head === null ? { exitCode: 1 } : { stdout: head }, { cwd: '/repo' });
  for (const p of plans) {
    const exists = p.branch in branches;
    f.on(['git', 'show-ref', '--verify', '--quiet', `refs/heads/${p.branch}`], { exitCode: exists ? 0 : 1 }, { cwd: '/repo' });
    const ref = exists ? `refs/heads/${p.branch}` : (p.baseRef ?? 'HEAD');
    const commit = exists ? branches[p.branch] : ref === 'HEAD' ? (w.empty ? undefined : HEAD) : w.refs?.[ref];
    f.on(['git', 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], commit ? { stdout: commit } : { exitCode: 1 }, { cwd: '/repo' });
  }
}

function plan(ctx: TestContext, branch: string, base: string | null = null): CreatePlan {
  return planCreate({ repo: '/repo', repoName: 'repo', branch, prompt: 'p', profile: resolveProfile(ctx.config, 'shell'), config: ctx.config, base });
}

interface Case {
  name: string;
  branch: string;
  base?: string;
  world?: World;
  records?: (ctx: TestContext) => AgentRecord[];
  /** Made on disk before preflight runs. */
  existingDir?: boolean;
  facts?: PreflightFacts;
  error?: { type: abstract new (...args: never[]) => FleetError; message: RegExp; hint?: RegExp };
}

const cases: Case[] = [
  { name: 'a new branch starts from the main checkout\'s HEAD', branch: 'new', facts: { newBranch: true, baseCommit: HEAD, baseRef: 'main' } },
  {
    name: 'an existing branch is reused from its own tip',
    branch: 'old',
    world: { branches: { old: TIP } },
    facts: { newBranch: false, baseCommit: TIP, baseRef: 'main' },
  },
  {
    name: '--base names where a new branch starts',
    branch: 'new',
    base: 'origin/dev',
    world: { refs: { 'origin/dev': OTHER } },
    facts: { newBranch: true, baseCommit: OTHER, baseRef: 'origin/dev' },
  },
  { name: 'a detached main checkout is recorded as HEAD', branch: 'new', world: { head: null }, facts: { newBranch: true, baseCommit: HEAD, baseRef: 'HEAD' } },
  {
    name: 'a branch that already has an agent',
    branch: 'taken',
    records: () => [record('taken')],
    error: { type: ConflictError, message: /^branch "taken" already has an agent$/, hint: /fleet attach taken, or fleet kill taken first/ },
  },
  {
    name: 'a tmux session in the way that fleet does not know of',
    branch: 'x',
    world: { sessions: ['fleet_repo_x'] },
    error: { type: ConflictError, message: /^tmux session "fleet_repo_x" already exists and is not one of fleet's agents$/, hint: /^pick another branch name, or rename that session: tmux rename-session -t '=fleet_repo_x' NEW-NAME$/ },
  },
  {
    name: "another branch's agent holds the session name (an older fleet named feat/login and feat-login alike), its session gone",
    branch: 'feat-login',
    records: () => [record('feat/login', { session: 'fleet_repo_feat-login' })],
    error: { type: ConflictError, message: /^the tmux session name "fleet_repo_feat-login" belongs to fleet's agent on branch "feat\/login" of \/repo$/, hint: /^pick another branch name/ },
  },
  {
    name: 'a branch checked out in another worktree',
    branch: 'busy',
    world: { branches: { busy: TIP }, worktrees: [{ path: '/elsewhere/busy', branch: 'busy' }] },
    error: { type: ConflictError, message: /^branch "busy" is already checked out at \/elsewhere\/busy$/, hint: /git worktree remove \/elsewhere\/busy/ },
  },
  {
    name: 'the main checkout\'s own branch',
    branch: 'main',
    world: { branches: { main: HEAD } },
    error: { type: ConflictError, message: /^branch "main" is already checked out at \/repo$/, hint: /^start a new branch from it: fleet create main-work --base main$/ },
  },
  {
    name: 'a directory where the worktree would go',
    branch: 'left',
    existingDir: true,
    error: { type: ConflictError, message: /worktrees\/repo\/left already exists$/, hint: /fleet prune/ },
  },
  {
    name: '--base with a branch that exists',
    branch: 'old',
    base: 'origin/dev',
    world: { branches: { old: TIP }, refs: { 'origin/dev': OTHER } },
    error: { type: ConflictError, message: /^branch "old" already exists, so --base does not apply$/ },
  },
  {
    name: '--base that is no commit (not a conflict: nothing stands in the way)',
    branch: 'new',
    base: 'nosuch',
    error: { type: FleetError, message: /^--base "nosuch" is not a commit in this repository$/, hint: /git branch -a/ },
  },
  {
    name: 'a repository without commits',
    branch: 'new',
    world: { empty: true },
    error: { type: FleetError, message: /^the repository has no commits yet$/, hint: /git commit --allow-empty/ },
  },
];

describe('preflight', () => {
  it.each(cases)('$name', async (c) => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const p = plan(ctx, c.branch, c.base ?? null);
    if (c.existingDir) fs.mkdirSync(p.worktree, { recursive: true });
    script(f, c.world ?? {}, [p]);
    const run = preflight(ctx, [p], c.records?.(ctx) ?? []);
    if (c.error) {
      const e = await run.then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(c.error.type);
      if (c.error.type === FleetError) expect(e).not.toBeInstanceOf(ConflictError);
      expect((e as FleetError).message).toMatch(c.error.message);
      if (c.error.hint) expect((e as FleetError).hint).toMatch(c.error.hint);
    } else {
      expect((await run).get(c.branch)).toEqual(c.facts);
    }
    // Preflight only reads: every call it made is one of the scripted reads.
    expect(f.calls.every((call) => /^(git (worktree list|symbolic-ref|show-ref|rev-parse)|tmux list-panes)/.test(call.argv.join(' ')))).toBe(true);
  });

  it('asks tmux once and lists worktrees once however many agents it checks', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const plans = ['a', 'b', 'c', 'd', 'e'].map((b) => plan(ctx, b));
    script(f, {}, plans);
    const facts = await preflight(ctx, plans, []);
    expect([...facts.keys()]).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(f.callsOf('tmux')).toHaveLength(1);
    expect(f.callsOf('git').filter((c) => c.startsWith('git worktree list'))).toHaveLength(1);
  });

  it('reports the first problem in plan order, whichever read answered first', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const plans = [plan(ctx, 'ok'), plan(ctx, 'busy'), plan(ctx, 'taken')];
    script(f, { branches: { busy: TIP }, worktrees: [{ path: '/elsewhere/busy', branch: 'busy' }] }, plans);
    await expect(preflight(ctx, plans, [record('taken')])).rejects.toThrow(/branch "busy" is already checked out/);
  });
});

describe('createBatch before anything is made', () => {
  const request = (ctx: TestContext, branches: string[], base: string | null = null) => ({
    batchId: 'b',
    items: branches.map((branch) => ({ branch, prompt: 'p', profile: resolveProfile(ctx.config, 'shell') })),
    base,
    quick: true,
    conflictHint: 'or pick another prefix than "b"',
  });
  const noProgress = () => {
    throw new Error('progress started: something was about to be made');
  };

  it('adds the caller\'s hint to a conflict, by its type, and makes nothing', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f, { records: [record('b-2')] });
    script(f, {}, [{ branch: 'b-1', baseRef: null }, { branch: 'b-2', baseRef: null }]);
    const e = (await createBatch(ctx, request(ctx, ['b-1', 'b-2']), { progress: noProgress }).catch((err: unknown) => err)) as FleetError;
    expect(e).toBeInstanceOf(ConflictError);
    expect(e.message).toBe('branch "b-2" already has an agent; nothing was made');
    expect(e.hint).toBe('fleet attach b-2, or fleet kill b-2 first; or pick another prefix than "b"');
  });

  it('leaves any other error as it is', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    script(f, {}, [{ branch: 'b-1', baseRef: 'nosuch' }]);
    const e = (await createBatch(ctx, request(ctx, ['b-1'], 'nosuch'), { progress: noProgress }).catch((err: unknown) => err)) as FleetError;
    expect(e.message).toBe('--base "nosuch" is not a commit in this repository');
    expect(e.hint).toBe('git branch -a lists branches; any commit-ish works');
  });

  it('fix.1 and fix-1 get a session each (tmux would fold them into one name)', async () => {
    const fakeCtx = await fakeContext(fakeRunner());
    const a = plan(fakeCtx, 'fix.1');
    const b = plan(fakeCtx, 'fix-1');
    expect(b.session).toBe('fleet_repo_fix-1');
    expect(a.session).toMatch(/^fleet_repo_fix-1-[0-9a-f]{6}$/);
    expect(findCollisions([a, b])).toBeNull();
  });

  it('two plans with one session name (a hash collision) are still refused', async () => {
    const fakeCtx = await fakeContext(fakeRunner());
    const a = plan(fakeCtx, 'fix-a');
    const b = { ...plan(fakeCtx, 'fix-b'), session: a.session };
    expect(findCollisions([a, b])).toMatch(/^branches "fix-a" and "fix-b" both map to tmux session "fleet_repo_fix-a"$/);
  });
});

// The directory check reads the disk; make sure the worktree root of a test context is its own.
it('test contexts keep worktrees in their own temp directory', async () => {
  const ctx = await fakeContext(fakeRunner());
  expect(path.relative(ctx.dir, ctx.config.worktree_root)).toBe('worktrees');
});
