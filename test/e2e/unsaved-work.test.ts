import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, startScriptAgents, writeConfig, type Sandbox } from '../helpers/sandbox.js';

/**
 * "Unsaved work" is one thing for kill, prune and pick: uncommitted changes, and commits that
 * only a detached HEAD holds (no branch has them, so they would go with the worktree).
 */
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

const worktreeOf = (branch: string) => path.join(sb.fleetHome, 'worktrees', 'repo', branch);
const hasSession = async (branch: string) => (await sb.tmux('has-session', '-t', `=fleet_repo_${branch}`)).exitCode === 0;
const agents = () => readState(sb).agents.map((a) => a.branch).sort();
const headOf = async (branch: string) => (await sb.git(worktreeOf(branch), 'rev-parse', 'HEAD')).trim();
/**
 * An agent that leaves its branch for a detached HEAD and commits there. The file names the
 * branch: two agents making the same commit in the same second would make one commit id.
 */
const DETACHED_COMMIT = `git checkout -q --detach && echo "$FLEET_BRANCH" > d.txt && git add d.txt && git commit -qm 'detached work'`;

describe('commits only a detached HEAD holds', () => {
  it('kill keeps the agent whole and says how to save them; the hint works; --force pins them under refs/fleet/rescued/', async () => {
    await startScriptAgents(sb, repo, { 'det-1': DETACHED_COMMIT, 'det-2': DETACHED_COMMIT }, null);
    const wt = worktreeOf('det-1');
    const sha = await headOf('det-1');

    const kill = await fleet(sb, ['kill', 'det-1'], { cwd: repo });
    expect(kill.exitCode).toBe(1);
    expect(kill.stderr).toBe(
      `error: "det-1" has 1 commit no branch contains (${sha.slice(0, 7)}) in ${wt}; kept it\n` +
        `hint: save the commit on a branch (git -C ${wt} switch -c <name>, or git branch <name> ${sha.slice(0, 7)}), or fleet kill det-1 --force to end it anyway (fleet then keeps the commit under refs/fleet/rescued/)`,
    );
    expect(await hasSession('det-1')).toBe(true);
    expect(fs.readFileSync(path.join(wt, 'd.txt'), 'utf8')).toBe('det-1\n');
    expect(agents()).toEqual(['det-1', 'det-2']);

    // Doing what the hint says saves the commit, and then kill goes through.
    await sb.git(wt, 'switch', '-q', '-c', 'saved');
    const after = await fleet(sb, ['kill', 'det-1'], { cwd: repo });
    expect(after.exitCode, after.stderr).toBe(0);
    expect((await sb.git(repo, 'rev-parse', 'saved')).trim()).toBe(sha);

    const sha2 = await headOf('det-2');
    const forced = await fleet(sb, ['kill', 'det-2', '--force'], { cwd: repo });
    expect(forced.exitCode, forced.stderr).toBe(0);
    const ref = /kept as (refs\/fleet\/rescued\/det-2-\d{8}T\d{6}Z) /.exec(forced.stderr)?.[1];
    expect(forced.stderr).toMatch(/^note: 1 commit of its detached HEAD that no branch contained is kept as refs\/fleet\/rescued\/det-2-\S+ \(git branch <name> refs\/fleet\/rescued\/det-2-\S+ saves it on a branch\)$/m);
    expect(ref).toBeDefined();
    expect((await sb.git(repo, 'rev-parse', ref!)).trim()).toBe(sha2);
    expect(fs.existsSync(worktreeOf('det-2'))).toBe(false);
    expect(agents()).toEqual([]);
  });

  it('prune keeps a missing agent whose detached HEAD has commits no branch has', async () => {
    await startScriptAgents(sb, repo, { det: DETACHED_COMMIT }, null);
    const sha = await headOf('det');
    expect((await sb.tmux('kill-session', '-t', '=fleet_repo_det')).exitCode).toBe(0);

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^kept \\S+/det \\(branch det\\): 1 commit no branch contains \\(${sha.slice(0, 7)}\\)$`, 'm'));
    expect(r.stderr).toMatch(/^ {2}hint: save the commit on a branch \(git -C \S+\/det switch -c <name>/m);
    expect(r.stdout).toBe('nothing else to prune');
    expect(agents()).toEqual(['det']);
    expect(await headOf('det')).toBe(sha);
  });

  it("pick's clean-up of the batch keeps a sibling whose detached HEAD has commits no branch has", async () => {
    await startScriptAgents(sb, repo, { 'p-1': `echo win > win.txt && git add win.txt && git commit -qm win`, 'p-2': DETACHED_COMMIT }, 'p');
    const sha = await headOf('p-2');
    const r = await fleet(sb, ['pick', 'p-1', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ended p-1: session and worktree removed, branch kept$/m);
    expect(r.stderr).toMatch(new RegExp(`^note: "p-2" has 1 commit no branch contains \\(${sha.slice(0, 7)}\\) in \\S+; kept it\\nhint: save the commit on a branch`, 'm'));
    expect(await hasSession('p-2')).toBe(true);
    expect(await headOf('p-2')).toBe(sha);
    expect(agents()).toEqual(['p-2']);
  });
});

describe('kill of several agents with unsaved work', () => {
  it('prints one error line, one line per agent kept, and one hint that names them all', async () => {
    await startScriptAgents(sb, repo, { 'w-1': 'echo a > a.txt', 'w-2': 'echo b > b.txt', 'w-3': 'echo c >> README.md', clean: 'true' }, null);
    const r = await fleet(sb, ['kill', 'w-1', 'w-2', 'w-3', 'clean', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^killed clean: /);
    const root = path.join(sb.fleetHome, 'worktrees', 'repo');
    expect(r.stderr).toBe(
      [
        'error: 3 of 4 agents not killed:',
        `  "w-1" has uncommitted changes (a.txt) in ${root}/w-1; kept it`,
        `  "w-2" has uncommitted changes (b.txt) in ${root}/w-2; kept it`,
        `  "w-3" has uncommitted changes (README.md) in ${root}/w-3; kept it`,
        'hint: commit them in the worktrees, or fleet kill w-1 w-2 w-3 --force to discard them',
      ].join('\n'),
    );
    expect(agents()).toEqual(['w-1', 'w-2', 'w-3']);
  });
});

describe('hints that work', () => {
  it('a missing agent with uncommitted work is not sent to prune (which keeps it): diff, pick or kill --force are named, and pick works', async () => {
    await startScriptAgents(sb, repo, { lost: 'echo precious > notes.txt', empty: 'true' }, null);
    for (const b of ['lost', 'empty']) expect((await sb.tmux('kill-session', '-t', `=fleet_repo_${b}`)).exitCode).toBe(0);

    for (const args of [['logs', 'lost'], ['prompt', 'lost', 'hello'], ['attach', 'lost']]) {
      const r = await fleet(sb, args, { cwd: repo });
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^error: the tmux session of "lost" is gone/);
      expect(r.stderr).toMatch(/^hint: its worktree still has uncommitted changes, which fleet prune keeps: fleet diff lost shows them, fleet pick lost lands them, fleet kill lost --force discards them$/m);
    }
    // An agent with nothing unsaved: prune is what cleans it up.
    const clean = await fleet(sb, ['logs', 'empty'], { cwd: repo });
    expect(clean.stderr).toMatch(/^hint: fleet prune cleans up after it, or fleet kill empty$/m);

    const pick = await fleet(sb, ['pick', 'lost', '--yes'], { cwd: repo });
    expect(pick.exitCode, pick.stderr).toBe(0);
    expect(fs.readFileSync(path.join(repo, 'notes.txt'), 'utf8')).toBe('precious\n');
  });

  it('create on the branch the main checkout has suggests a new branch from it, and that command works', async () => {
    const r = await fleet(sb, ['create', 'main', '--quick', '-p', 'sleep 60'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`error: branch "main" is already checked out at ${repo}\nhint: start a new branch from it: fleet create main-work --base main`);
    const ok = await fleet(sb, ['create', 'main-work', '--base', 'main', '--quick', '-p', 'sleep 60'], { cwd: repo });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect((await sb.git(repo, 'symbolic-ref', '--short', 'HEAD')).trim()).toBe('main');
  });
});
