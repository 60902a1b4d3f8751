import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executePrune, gatherPrunePlan } from '../../src/ops/prune.js';
import type { AgentRecord } from '../../src/state/types.js';
import { LIST_PANES, fakeContext, fakeRunner, onSessionPanes, paneLine, porcelain, record, SERVER_PID } from '../helpers/fake-runner.js';

/**
 * prune against a `fleet create` running at the same moment: prune may only remove what was an
 * orphan before it started and still is, checked under the state lock at the moment of removal.
 */
describe('prune racing create', () => {
  async function setup() {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const worktree = path.join(ctx.config.worktree_root, 'repo', 'new');
    fs.mkdirSync(worktree, { recursive: true });
    // A create in progress: claimed under the lock first, then its worktree and session made.
    const fresh: AgentRecord = record('new', { worktree, phase: 'creating', owner_pid: process.pid });
    const facts = () => {
      f.on(LIST_PANES, { stdout: paneLine({ session: 'fleet_repo_new', fleet: { repo: '/repo' } }) });
      f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'new' }]) }, { cwd: '/repo' });
    };
    return { f, ctx, worktree, fresh, facts };
  }

  it('a create that claims its branch after prune read the state and makes its worktree and session before prune looks: neither is an orphan', async () => {
    const { f, ctx, fresh, facts } = await setup();
    facts();
    const run = ctx.run;
    let claimed = false;
    ctx.run = async (cmd, args, opts) => {
      // The create runs between prune's first read of the state and its tmux and git reads.
      if (!claimed && cmd === 'tmux') {
        claimed = true;
        await ctx.state.update((agents) => [...agents, fresh]);
      }
      return run(cmd, args, opts);
    };
    const plan = await gatherPrunePlan(ctx);
    expect(plan.sessions).toEqual([]);
    expect(plan.worktrees).toEqual([]);
    const report = await executePrune(ctx, plan, { dryRun: false });
    expect(report.actions).toEqual([]);
    expect(f.callsOf('tmux').filter((c) => c.includes('kill-session'))).toEqual([]);
    expect(f.callsOf('git').filter((c) => c.includes('worktree remove'))).toEqual([]);
    expect(await ctx.state.read()).toEqual([fresh]);
  });

  it('an orphan session and worktree that a create claims after the plan was made are left to it', async () => {
    const { f, ctx, fresh, facts } = await setup();
    facts();
    const plan = await gatherPrunePlan(ctx);
    // Leftovers of a create that died: no record claims them when prune plans.
    expect(plan.sessions.map((s) => s.name)).toEqual(['fleet_repo_new']);
    expect(plan.worktrees.map((w) => w.branch)).toEqual(['new']);
    // Then they are gone (another prune), and a new create takes the same names.
    await ctx.state.update((agents) => [...agents, fresh]);
    const report = await executePrune(ctx, plan, { dryRun: false });
    expect(report.actions).toEqual([]);
    expect(f.calls.map((c) => c.argv.join(' ')).filter((c) => / kill-session | worktree remove | status /.test(c))).toEqual([]);
    expect(await ctx.state.read()).toEqual([fresh]);
  });

  it('a missing record that was killed and created again after the plan is not touched', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const worktree = path.join(ctx.config.worktree_root, 'repo', 'w');
    fs.mkdirSync(worktree, { recursive: true });
    const old = record('w', { worktree });
    await ctx.state.update(() => [old]);
    f.on(LIST_PANES, { exitCode: 1, stderr: 'no server running on /tmp/x' });
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'w' }]) }, { cwd: '/repo' });
    const plan = await gatherPrunePlan(ctx);
    expect(plan.records.map((r) => [r.record.branch, r.reason])).toEqual([['w', 'missing']]);

    const again = record('w', { worktree, created_at: '2030-01-01T00:00:00.000Z', phase: 'creating', owner_pid: process.pid });
    await ctx.state.update(() => [again]);
    // Its worktree is clean, however often it is looked at.
    f.on(/^git --no-optional-locks status /, { stdout: '' }, { cwd: worktree, times: Infinity });
    const report = await executePrune(ctx, plan, { dryRun: false });
    expect(report.actions).toEqual([]);
    expect(f.callsOf('tmux').filter((c) => c.includes('kill-session'))).toEqual([]);
    expect(f.callsOf('git').filter((c) => c.includes('worktree remove'))).toEqual([]);
    expect(await ctx.state.read()).toEqual([again]);
  });

  it('a real orphan is still removed, under the state lock', async () => {
    const { f, ctx, worktree, facts } = await setup();
    facts();
    const plan = await gatherPrunePlan(ctx);
    const lock = `${ctx.state.file}.lock`;
    const locked: string[] = [];
    const run = ctx.run;
    ctx.run = async (cmd, args, opts) => {
      if (/kill-session|remove/.test(args.join(' ')) && fs.existsSync(lock)) locked.push(`${cmd} ${args[0]} ${args[1]}`);
      return run(cmd, args, opts);
    };
    onSessionPanes(f, 'fleet_repo_new', [4300]);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_new']);
    f.on(/^git --no-optional-locks status /, { stdout: '' }, { cwd: worktree });
    f.on(SERVER_PID, { stdout: '777' }); // processes left in the orphan worktree are ended, never the tmux server
    f.on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }, { path: worktree, branch: 'new' }]) }, { cwd: '/repo' });
    f.on(['git', 'worktree', 'remove', '--force', '--force', '--', worktree], {}, { cwd: '/repo' });
    f.on(['git', 'rev-list', '--count', 'HEAD..refs/heads/new'], { stdout: '0' }, { cwd: '/repo' });
    const report = await executePrune(ctx, plan, { dryRun: false });
    expect(report.actions.map((a) => a.kind)).toEqual(['session', 'worktree']);
    expect(locked).toEqual(['tmux kill-session -t', 'git worktree remove']);
  });
});
