import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { planPick } from '../../src/ops/pick.js';
import type { AgentRecord } from '../../src/state/types.js';
import { fakeContext, fakeRunner, porcelain, record, type FakeRunner, type TestContext } from '../helpers/fake-runner.js';

const TIP = 'c'.repeat(40);
const LIST = ['git', 'worktree', 'list', '--porcelain'];
const HEAD_BRANCH = ['git', 'symbolic-ref', '--short', '-q', 'HEAD'];
const resolve = (ref: string) => ['git', 'rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`];
const STATUS = (untracked: 'all' | 'no') => ['git', '--no-optional-locks', 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`];
/** The unsaved-work check of an agent's worktree (git/status.ts unsavedWork). */
const UNSAVED = ['git', '--no-optional-locks', 'status', '--porcelain=v1', '-z', '--branch', '--untracked-files=all'];

/** A linked worktree on disk as far as fleet looks without git: a directory with a `.git` file. */
function checkout(ctx: TestContext, name: string): string {
  const dir = path.join(ctx.config.worktree_root, 'repo', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.git'), `gitdir: /repo/.git/worktrees/${name}\n`);
  return dir;
}

interface Case {
  name: string;
  winner?: Partial<AgentRecord>;
  into?: string;
  /** Script git's answers (the winner's worktree, when it has one, is passed in). */
  script: (f: FakeRunner, wt: string) => void;
  /** Give the winner a worktree on disk. */
  worktree?: boolean;
  message: RegExp;
  hint: RegExp;
}

const mainOnly = porcelain([{ path: '/repo', branch: 'main' }]);

const cases: Case[] = [
  {
    name: 'an agent still being set up (or whose set-up failed) has nothing to land',
    winner: { phase: 'creating', owner_pid: process.pid },
    script: () => {},
    message: /^"w" is not set up \(it is still being created, or its set-up failed\); there is nothing to land$/,
    hint: /fleet prune cleans up a failed set-up/,
  },
  {
    name: 'the main checkout on a detached HEAD, with no --into',
    script: (f) => {
      f.on(LIST, { stdout: porcelain([{ path: '/repo', branch: null }]) });
      f.on(HEAD_BRANCH, { exitCode: 1 }, { cwd: '/repo' });
    },
    message: /^the main checkout is not on a branch \(detached HEAD\), so there is nothing to land into$/,
    hint: /fleet pick w --into <branch>/,
  },
  {
    name: '--into the winner itself',
    into: 'w',
    script: (f) => void f.on(LIST, { stdout: mainOnly }),
    message: /^cannot land "w" into itself$/,
    hint: /name another branch/,
  },
  {
    name: '--into a branch that does not exist',
    into: 'nope',
    script: (f) => {
      f.on(LIST, { stdout: mainOnly });
      f.on(resolve('refs/heads/nope'), { exitCode: 1 });
    },
    message: /^--into "nope" is not a branch of this repository$/,
    hint: /git branch nope <start>/,
  },
  {
    name: '--into a branch checked out in another worktree',
    into: 'release',
    script: (f) => {
      f.on(LIST, { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: '/elsewhere', branch: 'release' }]) });
      f.on(resolve('refs/heads/release'), { stdout: TIP });
    },
    message: /^"release" is checked out at \/elsewhere, so fleet will not move it under that checkout$/,
    hint: /land into the main checkout's branch/,
  },
  {
    name: 'uncommitted changes to tracked files in the main checkout',
    script: (f) => {
      f.on(LIST, { stdout: mainOnly });
      f.on(HEAD_BRANCH, { stdout: 'main' });
      f.on(resolve('refs/heads/main'), { stdout: TIP });
      f.on(STATUS('no'), { stdout: ' M a.txt\0M  b.txt\0 M c.txt\0 M d.txt\0' }, { cwd: '/repo' });
    },
    message: /^the main checkout has uncommitted changes \("a\.txt", "b\.txt", "c\.txt" and 1 more\); nothing was changed$/,
    hint: /git -C \/repo stash\), then fleet pick w again/,
  },
  {
    name: "the winner's worktree switched to another branch",
    worktree: true,
    script: (f, wt) => {
      f.on(LIST, { stdout: mainOnly });
      f.on(HEAD_BRANCH, { stdout: 'main' }, { cwd: '/repo' });
      f.on(resolve('refs/heads/main'), { stdout: TIP });
      f.on(STATUS('no'), { stdout: '' });
      f.on(HEAD_BRANCH, { stdout: 'elsewhere' }, { cwd: wt });
    },
    message: /^the worktree of "w" has "elsewhere" checked out, not "w"$/,
    hint: /switch w, then fleet pick w again/,
  },
  {
    name: 'neither a worktree nor a branch left',
    script: (f) => {
      f.on(LIST, { stdout: mainOnly });
      f.on(HEAD_BRANCH, { stdout: 'main' });
      f.on(resolve('refs/heads/main'), { stdout: TIP });
      f.on(STATUS('no'), { stdout: '' });
      f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    },
    message: /^"w" has neither a worktree nor a branch any more; there is nothing to land$/,
    hint: /fleet prune drops its record/,
  },
];

describe("pick refuses, having changed nothing (it only reads)", () => {
  it.each(cases)('$name', async (c) => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = c.worktree ? checkout(ctx, 'w') : '/nowhere/w';
    await ctx.state.update(() => [record('w', { worktree: wt, ...c.winner })]);
    c.script(f, wt);
    const e = (await planPick(ctx, { branch: 'w', into: c.into, strategy: 'merge' }).catch((err: unknown) => err)) as FleetError;
    expect(e).toBeInstanceOf(FleetError);
    expect(e.message).toMatch(c.message);
    expect(e.hint).toMatch(c.hint);
    // Every call was one of the scripted reads (an unexpected call fails the test when it ends).
    expect(f.calls.every((call) => /^git (worktree list|symbolic-ref|rev-parse|--no-optional-locks status|show-ref)/.test(call.argv.join(' ')))).toBe(true);
  });
});

describe('a pick plan', () => {
  it("names the target, the winner's uncommitted work, and which of its batch are kept for their own", async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const w = checkout(ctx, 'b-1');
    const clean = checkout(ctx, 'b-2');
    const dirty = checkout(ctx, 'b-3');
    const detached = checkout(ctx, 'b-4');
    await ctx.state.update(() => [
      record('b-1', { batch_id: 'b', worktree: w, copied_files: ['.env'] }),
      record('b-2', { batch_id: 'b', worktree: clean }),
      record('b-3', { batch_id: 'b', worktree: dirty }),
      record('b-4', { batch_id: 'b', worktree: detached }),
      record('solo', { worktree: '/nowhere/solo' }),
    ]);
    f.on(LIST, { stdout: mainOnly });
    f.on(HEAD_BRANCH, { stdout: 'main' }, { cwd: '/repo' });
    f.on(resolve('refs/heads/main'), { stdout: TIP });
    f.on(STATUS('no'), { stdout: '' }, { cwd: '/repo' });
    f.on(HEAD_BRANCH, { stdout: 'b-1' }, { cwd: w });
    f.on(UNSAVED, { stdout: '## b-1\0?? .env\0 M src/x.ts\0?? new.ts\0' }, { cwd: w });
    f.on(UNSAVED, { stdout: '## b-2\0' }, { cwd: clean });
    f.on(UNSAVED, { stdout: '## b-3\0?? scratch.txt\0' }, { cwd: dirty });
    f.on(UNSAVED, { stdout: '## HEAD (no branch)\0' }, { cwd: detached });
    f.on(['git', 'rev-list', '--topo-order', 'HEAD', '--not', '--branches', '--tags', '--remotes'], { stdout: `${'d'.repeat(40)}\n` }, { cwd: detached });

    const plan = await planPick(ctx, { branch: 'b-1', strategy: 'squash' });
    expect(plan).toMatchObject({ into: 'main', intoTip: TIP, checkout: '/repo', strategy: 'squash' });
    expect(plan.winnerDirty).toEqual([{ code: ' M', path: 'src/x.ts' }, { code: '??', path: 'new.ts' }]);
    expect(plan.others.map((o) => o.branch)).toEqual(['b-2', 'b-3', 'b-4']);
    expect(Object.fromEntries(plan.dirtyOthers)).toEqual({
      'b-3': { paths: ['scratch.txt'], commits: [] },
      // A detached HEAD's commits no branch has are unsaved work too: that agent is kept whole.
      'b-4': { paths: [], commits: ['d'.repeat(40)] },
    });
  });
});
