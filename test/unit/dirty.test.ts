import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UncommittedWorkError } from '../../src/errors.js';
import { dirtyPaths } from '../../src/git/status.js';
import { killAgent } from '../../src/ops/kill-agent.js';
import { fakeContext, fakeRunner, onSessionPanes, porcelain, record } from '../helpers/fake-runner.js';

/** The one status call of the dirty check: read-only (no index refresh), untracked files included, NUL-separated. */
const STATUS = ['git', '--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all'];
const z = (...entries: string[]) => entries.map((e) => `${e}\0`).join('');

describe('dirtyPaths: does this worktree hold unsaved work?', () => {
  const cases: { name: string; status: string; copied?: string[]; dirty: { code: string; path: string }[] }[] = [
    { name: 'a clean worktree', status: '', dirty: [] },
    {
      name: 'edits, staged files, deletions and untracked files all count',
      status: z(' M src/a.ts', 'A  src/new.ts', ' D gone.txt', '?? notes.md'),
      dirty: [
        { code: ' M', path: 'src/a.ts' },
        { code: 'A ', path: 'src/new.ts' },
        { code: ' D', path: 'gone.txt' },
        { code: '??', path: 'notes.md' },
      ],
    },
    { name: 'a rename counts once, under its new name', status: z('R  new.ts', 'old.ts', '?? x'), dirty: [{ code: 'R ', path: 'new.ts' }, { code: '??', path: 'x' }] },
    { name: 'a credential file fleet copied in is not the agent\'s work', status: z('?? .env', '?? config/a.local.json'), copied: ['.env', 'config/a.local.json'], dirty: [] },
    {
      name: 'only the copied file is left out, not others beside it',
      status: z('?? .env', '?? .env.example'),
      copied: ['.env'],
      dirty: [{ code: '??', path: '.env.example' }],
    },
    {
      name: 'a copied file that git tracks and that differs may be the agent\'s edit: it counts',
      status: z(' M .env'),
      copied: ['.env'],
      dirty: [{ code: ' M', path: '.env' }],
    },
    { name: 'paths with spaces and newlines arrive whole', status: z('?? a b.txt', '?? line\nbreak'), dirty: [{ code: '??', path: 'a b.txt' }, { code: '??', path: 'line\nbreak' }] },
  ];

  it.each(cases)('$name', async (c) => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = path.join(ctx.dir, 'wt');
    fs.mkdirSync(wt);
    f.on(STATUS, { stdout: c.status }, { cwd: wt });
    expect(await dirtyPaths(ctx.run, wt, c.copied)).toEqual(c.dirty);
  });

  it('a worktree that is gone holds nothing, and git is not asked', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    expect(await dirtyPaths(ctx.run, path.join(ctx.dir, 'gone'), ['.env'])).toEqual([]);
    expect(f.calls).toEqual([]);
  });

  it('a status that fails is an error, never "clean"', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    f.on(STATUS, { exitCode: 128, stderr: 'fatal: not a git repository' });
    await expect(dirtyPaths(ctx.run, ctx.dir)).rejects.toThrow(/not a git repository/);
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
    f.on(STATUS, { stdout: z('?? .env', ' M src/a.ts', '?? b.txt', '?? c.txt', '?? d.txt') }, { cwd: worktree });
    const e = (await killAgent(ctx, rec).catch((err: unknown) => err)) as UncommittedWorkError;
    expect(e).toBeInstanceOf(UncommittedWorkError);
    expect(e.paths).toEqual(['src/a.ts', 'b.txt', 'c.txt', 'd.txt']);
    expect(e.message).toBe(`"w" has uncommitted changes in ${worktree} (src/a.ts, b.txt, c.txt, and 1 more); kept it`);
    expect(e.hint).toBe('commit them in the worktree, or fleet kill w --force to discard them');
    expect(f.callsOf('tmux')).toEqual([]);
    expect((await ctx.state.read()).map((r) => r.branch)).toEqual(['w']);
  });

  it('ends a worktree whose only change is the copied credential file: session, worktree, record; branch kept', async () => {
    const { f, ctx, rec, worktree } = await setup();
    // Checked before the session ends and again after (the agent may write in between).
    f.on(STATUS, { stdout: z('?? .env') }, { cwd: worktree, times: 2 });
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) }, { cwd: '/repo' });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree], {}, { cwd: '/repo' });
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], {}, { cwd: '/repo' });
    f.on(['git', 'rev-list', '--count', `${rec.base_commit}..refs/heads/w`], { stdout: '2' }, { cwd: '/repo' });
    const r = await killAgent(ctx, rec);
    expect(r).toEqual({ branch: 'w', sessionKilled: true, worktreeRemoved: true, branchDeleted: false, unmergedCommits: 2 });
    expect(await ctx.state.read()).toEqual([]);
    // The session ends before the worktree goes, so nothing writes into a directory being removed.
    const order = f.calls.map((c) => c.argv.slice(0, 3).join(' '));
    expect(order.indexOf('tmux kill-session -t')).toBeLessThan(order.indexOf('git worktree remove'));
  });

  it('keeps the worktree and the record when the agent wrote something while its session was ending', async () => {
    const { f, ctx, rec, worktree } = await setup();
    f.on(STATUS, { stdout: '' }, { cwd: worktree });
    onSessionPanes(f, 'fleet_repo_w', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w']);
    f.on(STATUS, { stdout: z('?? late.txt') }, { cwd: worktree });
    await expect(killAgent(ctx, rec)).rejects.toBeInstanceOf(UncommittedWorkError);
    expect(f.callsOf('git').some((c) => c.includes('worktree remove'))).toBe(false);
    expect((await ctx.state.read()).map((r) => r.branch)).toEqual(['w']);
  });

  it('--force skips the check and removes the worktree whatever it holds', async () => {
    const { f, ctx, rec, worktree } = await setup();
    onSessionPanes(f, 'fleet_repo_w', null);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_w'], { exitCode: 1, stderr: "can't find session" });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree]);
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/w'], { exitCode: 1 });
    const r = await killAgent(ctx, rec, { force: true });
    expect(r).toMatchObject({ sessionKilled: false, worktreeRemoved: true, unmergedCommits: 0 });
    expect(f.calls.some((c) => c.argv.includes('status'))).toBe(false);
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
