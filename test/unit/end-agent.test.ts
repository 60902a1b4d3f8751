import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../src/errors.js';
import { endAgentProcesses } from '../../src/ops/end-agent.js';
import { killAgent } from '../../src/ops/kill-agent.js';
import { processStart } from '../../src/process/process-table.js';
import { fakeContext, fakeRunner, onSessionPanes, record, sessionPanes, SERVER_PID } from '../helpers/fake-runner.js';

describe('endAgentProcesses', () => {
  it('reads the tree below the panes before the session ends, then ends it all', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = path.join(ctx.dir, 'worktrees', 'repo', 'a');
    fs.mkdirSync(wt, { recursive: true });
    ctx.procs.add(
      { pid: 4300, ppid: 4242, sid: 4300 },
      { pid: 4301, ppid: 4300, sid: 4300, ignoresTerm: true },
      { pid: 4400, ppid: 1, sid: 4400, cwd: path.join(wt, 'sub') }, // escaped with setsid, still in the worktree
      { pid: 4500, ppid: 1, sid: 4500, cwd: ctx.dir }, // not the agent's
    );
    onSessionPanes(f, 'fleet_repo_a', [4300]);
    let readsAtKill = -1;
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_a']);
    const run = f.run;
    ctx.run = async (cmd, args, opts) => {
      if (args[0] === 'kill-session') readsAtKill = ctx.procs.reads;
      return run(cmd, args, opts);
    };

    const r = await endAgentProcesses(ctx, { session: 'fleet_repo_a', worktree: wt });
    expect(readsAtKill).toBe(1);
    expect(r).toMatchObject({ sessionKilled: true, ended: 3, left: [], spared: [] });
    expect(ctx.procs.running()).toEqual([4500]);
    expect(ctx.procs.signals.filter((s) => !s.startsWith('SIGCONT'))).toEqual(['SIGTERM 4300', 'SIGTERM 4301', 'SIGTERM 4400', 'SIGKILL 4301']);
  });

  it('with no session, asks tmux for its server so that it is never taken for a process in the worktree', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = path.join(ctx.dir, 'wt');
    ctx.procs.add({ pid: 777, ppid: 1, sid: 777, cwd: wt, command: 'tmux: server' }, { pid: 778, ppid: 1, sid: 778, cwd: wt });
    f.on(SERVER_PID, { stdout: '777' });
    const r = await endAgentProcesses(ctx, { session: null, worktree: wt });
    expect(r).toMatchObject({ sessionKilled: false, ended: 1 });
    expect(ctx.procs.running()).toEqual([777]);
    expect(f.callsOf('tmux')).toEqual(['tmux list-sessions -F "#{pid}"']);
  });

  it('names a process in the worktree that sits on another terminal, and leaves it', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const wt = path.join(ctx.dir, 'wt');
    ctx.procs.add({ pid: 900, ppid: 1, sid: 900, cwd: wt, tty: true, command: 'vim' });
    f.on(sessionPanes('fleet_repo_a'), { exitCode: 1 });
    f.on(SERVER_PID, { exitCode: 1 });
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_a'], { exitCode: 1 });
    await endAgentProcesses(ctx, { session: 'fleet_repo_a', worktree: wt });
    expect(ctx.procs.running()).toEqual([900]);
    expect(ctx.ui.warnings).toEqual([`left pid 900 (vim) running in ${wt}: it is on another terminal, not the agent's`]);
  });
});

describe('kill of an agent still being set up', () => {
  it('is refused while its fleet runs (pid and start time), force or not, touching nothing', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const rec = record('making', { phase: 'creating', owner_pid: process.pid, owner_start: processStart(process.pid) });
    await ctx.state.update(() => [rec]);
    const e = (await killAgent(ctx, rec, { force: true }).catch((err: unknown) => err)) as FleetError;
    expect(e).toBeInstanceOf(FleetError);
    expect(e.message).toBe(`"making" is still being set up by fleet (pid ${process.pid}); left it alone`);
    expect(f.calls).toEqual([]);
    expect(await ctx.state.read()).toHaveLength(1);
  });

  it('goes ahead when the pid now belongs to a process that started later (its set-up died)', async () => {
    const f = fakeRunner();
    const ctx = await fakeContext(f);
    const rec = record('died', { phase: 'creating', owner_pid: process.pid, owner_start: 'an earlier process' });
    await ctx.state.update(() => [rec]);
    onSessionPanes(f, 'fleet_repo_died', null);
    f.on(['tmux', 'kill-session', '-t', '=fleet_repo_died'], { exitCode: 1 });
    f.on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/died'], { exitCode: 1 });
    expect(await killAgent(ctx, rec, { force: true })).toMatchObject({ branch: 'died', sessionKilled: false });
    expect(await ctx.state.read()).toEqual([]);
  });
});
