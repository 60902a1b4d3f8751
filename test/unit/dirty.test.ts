import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UncommittedWorkError } from '../../src/errors.js';
import { unsavedWork } from '../../src/git/status.js';
import { AgentChangedError, killAgent } from '../../src/ops/kill-agent.js';
import { fakeContext, fakeRunner, onSessionPanes, porcelain, record } from '../helpers/fake-runner.js';

/**
 * The one status call of the check: read-only (no index refresh), untracked files included,
 * NUL-separated, with the branch header that says whether HEAD is detached.
 */
const STATUS = ['git', '--no-optional-locks', 'status', '--porcelain=v1', '-z', '--branch', '--untracked-files=all'];
const REV_LIST = ['git', 'rev-list', '--topo-order', 'HEAD', '--not', '--branches', '--tags', '--remotes'];
const z = (...entries: string[]) => entries.map((e) => `${e}\0`).join('');
/** `git status -z --branch` output of a worktree on branch w. */
const onBranch = (...entries: string[]) => z('## w', ...entries);
const DETACHED = '## HEAD (no branch)';
const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);

describe('unsavedWork: does this worktree hold unsaved work?', () => {
  const cases: { name: string; status: string; copied?: string[]; dirty: { code: string; path: string }[] }[] = [
    { name: 'a clean worktree', status: onBranch(), dirty: [] },
    { name: 'HEAD on another branch: that branch keeps its commits, nothing more is asked', status: z('## other-branch...origin/other [ahead 2]'), dirty: [] },
    {
      name: 'edits, staged files, deletions and untracked files all count',
      status: onBranch(' M src/a.ts', 'A  src/new.ts', ' D gone.txt', '?? notes.md'),
      dirty: [
        { code: ' M', path: 'src/a.ts' },
        { code: 'A ', path: 'src/new.ts' },
        { code: ' D', path: 'gone.txt' },
        { code: '??', path: 'notes.md' },
      ],
    },
    { name: 'a rename counts once, under its new name', status: onBranch('R  new.ts', 'old.ts', '?? x'), dirty: [{ code: 'R ', path: 'new.ts' }, { code: '??', path: 'x' }] },
    { name: 'a credential file fleet copied in is not the agent\'s work', status: onBranch('?? .env', '?? config/a.local.json'), copied: ['.env', 'config/a.local.json'], dirty: [] },
    {
      name: 'only the copied file is left out, not others beside it',
      status: onBranch('?? .env', '?? .env.example'),
      copied: ['.env'],
      dirty: [{ code: '??', path: '.env.example' }],
    },
    {
      name: 'a copied file that git tracks and that differs may be the agent\'s edit: it counts',
      status: onBranch(' M .env'),
      copied: ['.env'],
      dirty: [{ code: ' M', path: '.env' }],
    },
    {
      name: 'a copied credential file the agent staged is still not its work (HEAD does not track it)',
      status: onBranch('A  .env', 'AM config/a.local.json', 'A  src/new.ts'),
      copied: ['.env', 'config/a.local.json'],
      dirty: [{ code: 'A ', path: 'src/new.ts' }],
    },
    { name: 'paths with spaces and newlines arrive whole', status: onBranch('?? a b.txt', '?? line\nbreak'), dirty: [{ code: '??', path: 'a b.txt' }, { code: '??', path: 'line\nbreak' }] },
  ];

  it.each(cases)('$name', async (c) => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = path.join(ctx.dir, 'wt');
    fs.mkdirSync(wt);
    f.on(STATUS, { stdout: c.status }, { cwd: wt });
    expect(await unsavedWork(ctx.run, wt, c.copied)).toEqual({ changes: c.dirty, commits: [] });
  });

  it('a detached HEAD: the commits no branch, tag or remote-tracking branch contains, newest first', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    f.on(STATUS, { stdout: z(DETACHED, '?? .env', '?? notes.md') }, { cwd: ctx.dir });
    f.on(REV_LIST, { stdout: `${C2}\n${C1}\n` }, { cwd: ctx.dir });
    expect(await unsavedWork(ctx.run, ctx.dir, ['.env'])).toEqual({ changes: [{ code: '??', path: 'notes.md' }], commits: [C2, C1] });
  });

  it('a detached HEAD at a commit a branch has: nothing unsaved', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    f.on(STATUS, { stdout: z(DETACHED) }, { cwd: ctx.dir });
    f.on(REV_LIST, { stdout: '' }, { cwd: ctx.dir });
    expect(await unsavedWork(ctx.run, ctx.dir)).toEqual({ changes: [], commits: [] });
  });

  it('a worktree that is gone holds nothing, and git is not asked', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    expect(await unsavedWork(ctx.run, path.join(ctx.dir, 'gone'), ['.env'])).toEqual({ changes: [], commits: [] });
    expect(f.calls).toEqual([]);
  });

  it('a status that fails is an error, never "clean"', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    f.on(STATUS, { exitCode: 128, stderr: 'fatal: not a git repository' });
    await expect(unsavedWork(ctx.run, ctx.dir)).rejects.toThrow(/not a git repository/);
  });
});

describe('kill decides with the same check', () => {
  async function setup() {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const worktree = path.join(ctx.config.worktree_root, 'repo', 'w');
    fs.mkdirSync(worktree, { recursive: true });
    const rec = record('w', { worktree, copied_files: ['.env'] });
    await ctx.state.update(() => [rec]);
    return { f, ctx, rec, worktree };
  }

  it('refuses uncommitted work before touching anything: no tmux call, no git change, record kept', async () => {
    const { f, ctx, rec, worktree } = await setup();
    f.on(STATUS, { stdout: onBranch('?? .env', ' M src/a.ts', '?? b.txt', '?? c.txt', '?? d.txt') }, { cwd: worktree });
    const e = (await killAgent(ctx, rec).catch((err: unknown) => err)) as UncommittedWorkError;
    expect(e).toBeInstanceOf(UncommittedWorkError);
    expect(e.paths).toEqual(['src/a.ts', 'b.txt', 'c.txt', 'd.txt']);
    expect(e.message).toBe(`"w" has uncommitted changes (src/a.ts, b.txt, c.txt, and 1 more) in ${worktree}; kept it`);
    expect(e.hint).toBe('commit them in the worktree, or fleet kill w --force to discard them');
    expect(f.callsOf('tmux')).toEqual([]);
    expect((await ctx.state.read()).map((r) => r.branch)).toEqual(['w']);
  });

  it('ends a worktree whose only change is the copied credential file: session, worktree, record; branch kept', async () => {
    const { f, ctx, rec, worktree } = await setup();
    // Checked before the session ends and again after (the agent may write in between).
    f.on(STATUS, { stdout: onBranch('?? .env') }, { cwd: worktree, times: 2 });
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) }, { cwd: '/repo' });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree], {}, { cwd: '/repo' });
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], {}, { cwd: '/repo' });
    f.on(['git', 'rev-list', '--count', `${rec.base_commit}..refs/heads/w`], { stdout: '2' }, { cwd: '/repo' });
    const r = await killAgent(ctx, rec);
    expect(r).toEqual({ branch: 'w', sessionKilled: true, worktreeRemoved: true, branchDeleted: false, unmergedCommits: 2, rescued: null });
    expect(await ctx.state.read()).toEqual([]);
    // The session ends before the worktree goes, so nothing writes into a directory being removed.
    const order = f.calls.map((c) => c.argv.slice(0, 3).join(' '));
    expect(order.indexOf('tmux kill-session -t')).toBeLessThan(order.indexOf('git worktree remove'));
  });

  it('keeps the worktree and the record when the agent wrote something while its session was ending', async () => {
    const { f, ctx, rec, worktree } = await setup();
    f.on(STATUS, { stdout: onBranch() }, { cwd: worktree });
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(STATUS, { stdout: onBranch('?? late.txt') }, { cwd: worktree });
    await expect(killAgent(ctx, rec)).rejects.toBeInstanceOf(UncommittedWorkError);
    expect(f.callsOf('git').some((c) => c.includes('worktree remove'))).toBe(false);
    expect((await ctx.state.read()).map((r) => r.branch)).toEqual(['w']);
  });

  it('--force ends it without asking first, and removes the worktree whatever changes it holds', async () => {
    const { f, ctx, rec, worktree } = await setup();
    onSessionPanes(f, 'fleet_repo_w', null);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w'], { exitCode: 1, stderr: "can't find session" });
    // Looked at once, after the session ended: only for commits a detached HEAD would take with it.
    f.on(STATUS, { stdout: onBranch(' M src/a.ts', '?? b.txt') }, { cwd: worktree });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree]);
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    const r = await killAgent(ctx, rec, { force: true });
    expect(r).toMatchObject({ sessionKilled: false, worktreeRemoved: true, unmergedCommits: 0, rescued: null });
    expect(f.callsOf('tmux').some((c) => c.includes('kill-session'))).toBe(true);
    expect(f.callsOf('git').some((c) => c.includes('update-ref'))).toBe(false);
  });

  it('refuses a detached HEAD with commits no branch has, naming them and how to save them', async () => {
    const { f, ctx, rec, worktree } = await setup();
    f.on(STATUS, { stdout: z(DETACHED, '?? .env') }, { cwd: worktree });
    f.on(REV_LIST, { stdout: `${C2}\n${C1}\n` }, { cwd: worktree });
    const e = (await killAgent(ctx, rec).catch((err: unknown) => err)) as UncommittedWorkError;
    expect(e).toBeInstanceOf(UncommittedWorkError);
    expect(e.commits).toEqual([C2, C1]);
    expect(e.message).toBe(`"w" has 2 commits no branch contains (2222222, 1111111) in ${worktree}; kept it`);
    expect(e.hint).toBe(
      `save the commits on a branch (git -C ${worktree} switch -c <name>, or git branch <name> 2222222), or fleet kill w --force to end it anyway (fleet then keeps the commits under refs/fleet/rescued/)`,
    );
    expect(f.callsOf('tmux')).toEqual([]);
    expect((await ctx.state.read()).map((r) => r.branch)).toEqual(['w']);
  });

  it('--force pins the commits of a detached HEAD under refs/fleet/rescued/ before the worktree goes', async () => {
    const { f, ctx, rec, worktree } = await setup();
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(STATUS, { stdout: z(DETACHED, ' M src/a.ts') }, { cwd: worktree });
    f.on(REV_LIST, { stdout: `${C1}\n` }, { cwd: worktree });
    f.on(/^git update-ref -m .* refs\/fleet\/rescued\/w-\d{8}T\d{6}Z 1{40} $/, {}, { cwd: '/repo' });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree }]) });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree]);
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    const r = await killAgent(ctx, rec, { force: true });
    expect(r.rescued).toEqual({ ref: expect.stringMatching(/^refs\/fleet\/rescued\/w-\d{8}T\d{6}Z$/) as string, commits: 1 });
    const order = f.callsOf('git');
    expect(order.findIndex((c) => c.includes('update-ref'))).toBeLessThan(order.findIndex((c) => c.includes('worktree remove')));
  });

  it('--force still pins a detached HEAD\'s commits when git status cannot read the worktree', async () => {
    const { f, ctx, rec, worktree } = await setup();
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(STATUS, { exitCode: 128, stderr: 'fatal: index file corrupt' }, { cwd: worktree });
    f.on(['git', 'symbolic-ref', '--short', '-q', 'HEAD'], { exitCode: 1 }, { cwd: worktree });
    f.on(REV_LIST, { stdout: `${C1}\n` }, { cwd: worktree });
    f.on(/^git update-ref -m .* refs\/fleet\/rescued\/w-\S+ 1{40} $/, {}, { cwd: '/repo' });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree }]) });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree]);
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    expect((await killAgent(ctx, rec, { force: true })).rescued).toMatchObject({ commits: 1 });
  });

  it('onlyIfUnchanged: a record made again since it was read is left alone, with no tmux or git call', async () => {
    const { f, ctx, rec, worktree } = await setup();
    f.on(STATUS, { stdout: onBranch() }, { cwd: worktree });
    // Killed and created again on the same branch meanwhile: a new agent, the same names.
    const again = { ...rec, created_at: '2030-01-01T00:00:00.000Z' };
    await ctx.state.update(() => [again]);
    await expect(killAgent(ctx, rec, { onlyIfUnchanged: true })).rejects.toBeInstanceOf(AgentChangedError);
    expect(f.callsOf('tmux')).toEqual([]);
    expect(f.callsOf('git').filter((c) => !c.includes(' status '))).toEqual([]);
    expect(await ctx.state.read()).toEqual([again]);
  });

  it('onlyIfUnchanged: session and worktree are removed while the state lock is held', async () => {
    const { f, ctx, rec, worktree } = await setup();
    const lock = `${ctx.state.file}.lock`;
    const lockedDuring: string[] = [];
    const run = ctx.run;
    ctx.run = async (cmd, args, opts) => {
      if (fs.existsSync(lock)) lockedDuring.push(`${cmd} ${args.slice(0, 2).join(' ')}`);
      return run(cmd, args, opts);
    };
    f.on(STATUS, { stdout: onBranch() }, { cwd: worktree, times: 2 });
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree]);
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    await killAgent(ctx, rec, { onlyIfUnchanged: true });
    expect(lockedDuring).toEqual(['tmux list-panes -s', 'tmux kill-session -t', 'git --no-optional-locks status', 'git worktree list', 'git worktree remove']);
    expect(await ctx.state.read()).toEqual([]);
  });
});

it('kill of an agent whose worktree is gone drops the record without asking git about its status', async () => {
  const f = fakeRunner();
  const ctx = await fakeContext(f);
  await ctx.state.update(() => [record('gone')]);
  onSessionPanes(f, 'fleet_repo_gone', null);
  f.on(['tmux', 'kill-session', '-t', '=fleet_repo_gone'], { exitCode: 1 });
  f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/gone'], { exitCode: 1 });
  expect(await killAgent(ctx, record('gone'))).toMatchObject({ sessionKilled: false, worktreeRemoved: false });
  expect(await ctx.state.read()).toEqual([]);
});
