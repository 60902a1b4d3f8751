import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { CLI, fleet, makeSandbox, readState, snapshotTree, waitFor, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let wtRoot: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
  wtRoot = path.join(sb.fleetHome, 'worktrees', 'repo');
});
afterEach(async () => {
  await sb.cleanup();
});

async function create(branch: string, prompt = 'sleep 60'): Promise<void> {
  const r = await fleet(sb, ['create', branch, '--quick', '-p', prompt], { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
}
const branches = () => readState(sb).agents.map((a) => a.branch).sort();
const hasSession = async (name: string) => (await sb.tmux('has-session', '-t', `=${name}`)).exitCode === 0;
const killBehindBack = async (branch: string) => expect((await sb.tmux('kill-session', '-t', `=fleet_repo_${branch}`)).exitCode).toBe(0);

describe('prune', () => {
  it('removes a record whose session was killed behind its back, with its clean worktree, and leaves live agents', async () => {
    await create('gone');
    await create('live');
    await killBehindBack('gone');

    const dry = await fleet(sb, ['prune', '--dry-run'], { cwd: repo });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toMatch(/would remove record gone \(its session is gone; its clean worktree goes too\)/);
    expect(dry.stdout).toMatch(/^dry run: would remove 1 item$/m);
    expect(branches()).toEqual(['gone', 'live']);
    expect(fs.existsSync(path.join(wtRoot, 'gone'))).toBe(true);

    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed record gone \(its session is gone; its clean worktree removed\)$/m);
    expect(r.stdout).toMatch(/removed 1 item$/m);
    expect(branches()).toEqual(['live']);
    expect(fs.existsSync(path.join(wtRoot, 'gone'))).toBe(false);
    expect(await sb.git(repo, 'branch', '--list', 'gone')).toMatch(/gone/); // the branch is the user's
    expect(await hasSession('fleet_repo_live')).toBe(true);
    expect(fs.existsSync(path.join(wtRoot, 'live'))).toBe(true);

    const again = await fleet(sb, ['prune'], { cwd: repo });
    expect(again.stdout).toBe('nothing to prune');
  });

  it('never deletes uncommitted work: lists it with the kill --force hint and keeps record and worktree', async () => {
    await create('dirty');
    fs.writeFileSync(path.join(wtRoot, 'dirty', 'notes.txt'), 'precious\n');
    fs.appendFileSync(path.join(wtRoot, 'dirty', 'README.md'), 'edited\n');
    await killBehindBack('dirty');
    const before = snapshotTree(path.join(wtRoot, 'dirty'));

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/kept .*dirty \(branch dirty\): uncommitted changes \((README\.md, notes\.txt|notes\.txt, README\.md)\)/);
    expect(r.stderr).toMatch(/hint: .*fleet kill dirty --force/);
    expect(r.stdout).toBe('nothing else to prune');
    expect(snapshotTree(path.join(wtRoot, 'dirty'))).toEqual(before);
    expect(branches()).toEqual(['dirty']);

    expect((await fleet(sb, ['kill', 'dirty', '--force'], { cwd: repo })).exitCode).toBe(0);
    expect(fs.existsSync(path.join(wtRoot, 'dirty'))).toBe(false);
  });

  it('names a branch that has commits not in its base, and keeps it', async () => {
    await create('worker', 'echo work > work.txt && git add work.txt && git commit -qm "agent work" && sleep 60');
    await waitFor(async () => (await sb.git(repo, 'rev-list', '--count', 'main..worker')) === '1', { what: 'the agent to commit' });
    await killBehindBack('worker');
    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed record worker/);
    expect(r.stderr).toMatch(/note: branch "worker" has 1 commit not in its base; it is kept \(git log [0-9a-f]{7}\.\.worker\)/);
    expect(await sb.git(repo, 'log', '-1', '--format=%s', 'worker')).toBe('agent work');
  });

  it('removes fleet worktrees and fleet sessions no record claims; keeps a dirty one and everything not fleet\'s', async () => {
    await create('keep');
    fs.mkdirSync(wtRoot, { recursive: true });
    await sb.git(repo, 'worktree', 'add', '-q', '-b', 'stray-clean', path.join(wtRoot, 'stray-clean'));
    await sb.git(repo, 'worktree', 'add', '-q', '-b', 'stray-dirty', path.join(wtRoot, 'stray-dirty'));
    fs.writeFileSync(path.join(wtRoot, 'stray-dirty', 'wip.txt'), 'wip\n');
    const outside = path.join(sb.dir, 'elsewhere');
    await sb.git(repo, 'worktree', 'add', '-q', '-b', 'mine', outside);
    await sb.tmux('new-session', '-d', '-s', 'fleet_repo_leftover', 'sleep 60');
    await sb.tmux('new-session', '-d', '-s', 'fleet_other_theirs', 'sleep 60');
    await sb.tmux('set-option', '-t', '=fleet_other_theirs:', '@fleet_repo', '/somewhere/other');
    await sb.tmux('new-session', '-d', '-s', 'work', 'sleep 60');

    const dry = await fleet(sb, ['prune', '--dry-run', '--json'], { cwd: repo });
    const plan = JSON.parse(dry.stdout) as { dry_run: boolean; actions: { kind: string; target: string }[]; kept: { target: string }[] };
    expect(plan.dry_run).toBe(true);
    expect(plan.actions.map((a) => `${a.kind} ${path.basename(a.target)}`).sort()).toEqual(['session fleet_repo_leftover', 'worktree stray-clean']);
    expect(plan.kept.map((k) => path.basename(k.target))).toEqual(['stray-dirty']);
    expect(await hasSession('fleet_repo_leftover')).toBe(true);
    expect(fs.existsSync(path.join(wtRoot, 'stray-clean'))).toBe(true);

    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ended session fleet_repo_leftover \(no record; its program was still running\)$/m);
    expect(r.stdout).toMatch(/^removed worktree .*stray-clean \(no record; clean\)$/m);
    expect(r.stderr).toMatch(/kept .*stray-dirty \(branch stray-dirty\): uncommitted changes \(wip\.txt\)/);
    expect(r.stderr).toMatch(/hint: .*git worktree remove --force .*stray-dirty/);
    expect(await hasSession('fleet_repo_leftover')).toBe(false);
    expect(fs.existsSync(path.join(wtRoot, 'stray-clean'))).toBe(false);
    expect(fs.readFileSync(path.join(wtRoot, 'stray-dirty', 'wip.txt'), 'utf8')).toBe('wip\n');
    for (const s of ['fleet_other_theirs', 'work', 'fleet_repo_keep']) expect(await hasSession(s)).toBe(true);
    expect(fs.existsSync(outside)).toBe(true);
    expect(fs.existsSync(path.join(wtRoot, 'keep'))).toBe(true);
    expect(await sb.git(repo, 'branch', '--list', 'stray-clean')).toMatch(/stray-clean/);
  });

  it("drops git's entry for a worktree whose directory was deleted, so the branch can have an agent again", async () => {
    await create('vanish');
    await killBehindBack('vanish');
    fs.rmSync(path.join(wtRoot, 'vanish'), { recursive: true, force: true });
    const blocked = await fleet(sb, ['create', 'vanish', '--quick', '-p', 'sleep 60'], { cwd: repo });
    expect(blocked.exitCode).toBe(1);

    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed record vanish/);
    expect(r.stdout).toMatch(/removed git's entry for worktree .*vanish \(its directory is gone\)/);
    expect(await sb.git(repo, 'worktree', 'list')).not.toMatch(/vanish/);
    await create('vanish');
  });

  it('lists a record whose worktree directory was deleted as worktree-missing, not "exited (0)", and prune removes it', async () => {
    await create('done', 'exit 0');
    await create('live');
    await waitFor(async () => {
      const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as { branch: string; status: string }[];
      return rows.find((a) => a.branch === 'done')?.status === 'exited';
    }, { what: 'the agent to exit' });
    for (const b of ['done', 'live']) fs.rmSync(path.join(wtRoot, b), { recursive: true, force: true });

    const rows = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as { branch: string; status: string }[];
    expect(rows.map((a) => [a.branch, a.status])).toEqual([['done', 'worktree-missing'], ['live', 'worktree-missing']]);
    const table = await fleet(sb, ['list'], { cwd: repo });
    expect(table.stdout).toMatch(/^done .*worktree-missing/m);
    expect(table.stdout).not.toMatch(/exited/);

    const r = await fleet(sb, ['prune', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    for (const b of ['done', 'live']) {
      expect(r.stdout).toMatch(new RegExp(`^removed record ${b} \\(its worktree directory is gone\\)$`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^removed git's entry for worktree .*/${b} \\(its directory is gone\\)$`, 'm'));
      expect(await hasSession(`fleet_repo_${b}`)).toBe(false);
    }
    expect(branches()).toEqual([]);
    expect(await sb.git(repo, 'worktree', 'list')).not.toMatch(/done|live/);
  });

  it('cleans up after a create that died during set-up: record, worktree and the branch it made', async () => {
    writeConfig(sb, 'default_agent = "shell"\nsetup_commands = ["sleep 5"]\n');
    const creator = execa(process.execPath, [CLI, 'create', 'half', '-p', 'sleep 60'], { cwd: repo, env: sb.env, extendEnv: false, reject: false });
    await waitFor(() => fs.existsSync(path.join(sb.fleetHome, 'logs', 'fleet_repo_half.setup.log')), { what: 'set-up to start' });
    creator.kill('SIGKILL');
    await creator;
    const listed = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as { branch: string; status: string }[];
    expect(listed).toEqual([expect.objectContaining({ branch: 'half', status: 'setup-failed' })]);

    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed record half \(its set-up never finished; its clean worktree removed\)$/m);
    expect(r.stdout).toMatch(/^deleted branch half \(made by the failed set-up, no commits of its own\)$/m);
    expect(branches()).toEqual([]);
    expect(fs.existsSync(path.join(wtRoot, 'half'))).toBe(false);
    expect(await sb.git(repo, 'branch', '--list', 'half')).toBe('');
  });

  it('on a terminal, shows what would go and asks first; "n" changes nothing', async () => {
    await create('gone');
    await killBehindBack('gone');
    // `script` gives fleet a real pseudo-terminal, as a user's terminal would.
    const ask = (answer: string) =>
      execa('script', ['-qfec', `${process.execPath} ${CLI} prune`, '/dev/null'], { cwd: repo, env: { ...sb.env, TERM: 'xterm' }, extendEnv: false, reject: false, input: `${answer}\n` });
    const no = await ask('n');
    expect(no.stdout).toMatch(/remove record gone \(its session is gone; its clean worktree goes too\)/);
    expect(no.stdout).toMatch(/prune this item\? \[y\/N\]/);
    expect(no.stdout).toMatch(/error: nothing pruned/);
    expect(branches()).toEqual(['gone']);
    expect(fs.existsSync(path.join(wtRoot, 'gone'))).toBe(true);
    const yes = await ask('y');
    expect(yes.stdout).toMatch(/removed record gone/);
    expect(branches()).toEqual([]);
  });

  it('says so when there is nothing to prune, outside a repository it names the fix', async () => {
    const r = await fleet(sb, ['prune'], { cwd: repo });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'nothing to prune' });
    const out = await fleet(sb, ['prune'], { cwd: sb.dir });
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toMatch(/^error: not inside a git repository\nhint: /);
  });
});
