import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/process/runner.js';
import { HostUnreachableError, remoteRunner } from '../../src/remote/remote-runner.js';
import { fetchAgentWork, syncBase, type RemoteGit } from '../../src/remote/repo-sync.js';
import { DEFAULT_POLICY, parseSshCommand } from '../../src/remote/ssh-command.js';
import { defaultRepoPath } from '../../src/config/hosts.js';
import { makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { startSshd, type TestSshd } from '../helpers/sshd.js';

let sshd: TestSshd;
let sb: Sandbox;
let g: RemoteGit;
let repo: string;

beforeAll(async () => {
  [sshd, sb] = await Promise.all([startSshd(), makeSandbox()]);
  repo = await sb.repo('app', { 'README.md': '# app\n', 'src/a.txt': 'a\n', '.gitignore': 'build/\n' });
  const policy = { ...DEFAULT_POLICY, controlDir: path.join(sb.dir, 'ssh') };
  fs.mkdirSync(policy.controlDir, { mode: 0o700 });
  const host = { name: 'loop', target: parseSshCommand(sshd.sshCommand()) };
  g = { host, policy, remote: remoteRunner(host, { policy }), local: (c, a, o) => run(c, a, { ...o, env: { ...sb.env, ...o?.env } }) };
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  await sb?.cleanup();
});

/** git on the host, as the remote user, in `cwd` (a plain ssh, not fleet's). */
async function remoteGit(cwd: string, ...args: string[]): Promise<string> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const r = await sshd.exec(`cd ${q(cwd)} && git -c user.name=Agent -c user.email=agent@example.com ${args.map(q).join(' ')}`);
  if (r.exitCode !== 0) throw new Error(`remote git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('syncBase against a real sshd', () => {
  it('makes a bare repository at the default path on first use and pushes the base commit into a fleet ref', async () => {
    const commit = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const first = await syncBase(g, { localRepo: repo, repoPath: defaultRepoPath('app'), commit });
    expect(first).toEqual({ path: `${sshd.home}/.ai_fleet/repos/app`, created: true, pushed: true, home: sshd.home });
    expect(await remoteGit(first.path, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect((await sshd.exec(`stat -c %a '${first.path}' '${first.path}/objects'`)).stdout).toBe('700\n700');
    expect(await remoteGit(first.path, 'rev-parse', `refs/fleet/base/${commit}`)).toBe(commit);
    // The host only has fleet's ref: no branch of the user's, no origin.
    expect(await remoteGit(first.path, 'for-each-ref', '--format=%(refname)')).toBe(`refs/fleet/base/${commit}`);
    expect(await remoteGit(first.path, 'remote')).toBe('');

    const again = await syncBase(g, { localRepo: repo, repoPath: defaultRepoPath('app'), commit });
    expect(again).toEqual({ path: first.path, created: false, pushed: false, home: sshd.home });
  });

  it('pushes a newer base, sending only what the host lacks', async () => {
    fs.writeFileSync(path.join(repo, 'src/b.txt'), 'b\n');
    await sb.git(repo, 'add', '-A');
    await sb.git(repo, 'commit', '-q', '-m', 'second');
    const commit = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const r = await syncBase(g, { localRepo: repo, repoPath: '~/.ai_fleet/repos/app', commit });
    expect(r.pushed).toBe(true);
    expect(await remoteGit(r.path, 'show', `${commit}:src/b.txt`)).toBe('b');
  });

  it('makes its own repository even where the directory above is inside another repository', async () => {
    await remoteGit(sshd.home, 'init', '-q', 'dotfiles-style');
    await sshd.exec('mkdir -p dotfiles-style/sub');
    const commit = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const r = await syncBase(g, { localRepo: repo, repoPath: '~/dotfiles-style/sub/app', commit });
    expect(r).toMatchObject({ path: `${sshd.home}/dotfiles-style/sub/app`, created: true, pushed: true });
  });

  it('refuses a repo_path that holds something else, saying so', async () => {
    await sshd.exec('mkdir -p notrepo && echo mine > notrepo/file');
    const commit = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const err = await syncBase(g, { localRepo: repo, repoPath: '~/notrepo', commit }).catch((e) => e);
    expect(err.message).toBe(`could not prepare the repository on host "loop": ${sshd.home}/notrepo exists and is not a git repository`);
    expect(err.hint).toMatch(/set another repo_path for \[hosts\.loop\]/);
    expect((await sshd.exec('ls -A notrepo')).stdout).toBe('file');
  });

  it("a host whose ssh fails: ssh's own message and the doctor hint", async () => {
    const host = { name: 'gone', target: parseSshCommand(sshd.sshCommand().replace(`-p ${sshd.port}`, '-p 1')) };
    const bad = { ...g, host };
    // The ensure call fails first, through the runner...
    const err = await syncBase({ ...bad, remote: remoteRunner(host, { policy: g.policy }) }, { localRepo: repo, repoPath: '~/x', commit: 'a'.repeat(40) }).catch((e) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect(err.message).toMatch(/^host "gone": ssh: connect to host 127\.0\.0\.1 port 1: Connection refused$/);
    // ...and git's push over that ssh reads the same way (the ensure step here reaches the real
    // host, so the push is what fails).
    fs.writeFileSync(path.join(repo, 'unpushed.txt'), 'x\n');
    await sb.git(repo, 'add', '-A');
    await sb.git(repo, 'commit', '-q', '-m', 'not on the host yet');
    const commit = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const pushErr = await syncBase({ ...bad, remote: g.remote }, { localRepo: repo, repoPath: '~/.ai_fleet/repos/app', commit }).catch((e) => e);
    expect(pushErr).toBeInstanceOf(HostUnreachableError);
    expect(pushErr.message).toBe('host "gone": ssh: connect to host 127.0.0.1 port 1: Connection refused');
    expect(pushErr.hint).toBe('check it with: fleet doctor --host gone');
  });
});

describe('fetchAgentWork against a real sshd', () => {
  let wt: string;
  let base: string;

  beforeAll(async () => {
    base = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const { path: remoteRepo } = await syncBase(g, { localRepo: repo, repoPath: '~/.ai_fleet/repos/app', commit: base });
    wt = `${sshd.home}/.ai_fleet/worktrees/app/agent-1`;
    await remoteGit(remoteRepo, 'worktree', 'add', '-q', '-b', 'agent-1', wt, base);
    // The agent commits once, then leaves work of every kind uncommitted.
    await sshd.exec(`cd '${wt}' && echo changed > README.md && git add README.md && git -c user.name=A -c user.email=a@x commit -qm 'agent commit'`);
    await sshd.exec(`cd '${wt}' && echo more >> src/a.txt && echo staged > staged.txt && git add staged.txt && echo new > 'new file.txt' && mkdir -p build && echo out > build/x && echo SECRET=1 > .env`);
  });

  it('brings the branch and a snapshot of its uncommitted work into local fleet refs, leaving the remote worktree untouched', async () => {
    const before = await sshd.exec(`cd '${wt}' && git status --porcelain && sha256sum "$(git rev-parse --git-path index)"`);
    const r = await fetchAgentWork(g, { localRepo: repo, repoPath: `${sshd.home}/.ai_fleet/repos/app`, worktree: wt, branch: 'agent-1', exclude: ['.env'] });
    expect(r.branchRef).toBe('refs/fleet/remote/loop/agent-1');
    expect(r.workRef).toBe('refs/fleet/remote-work/loop/agent-1');
    expect(r.branchCommit).toBe(await remoteGit(wt, 'rev-parse', 'HEAD'));
    expect((await sb.git(repo, 'log', '--format=%s', r.branchRef)).split('\n')[0]).toBe('agent commit');
    // The snapshot sits on the branch tip and holds exactly the uncommitted work.
    expect((await sb.git(repo, 'rev-parse', `${r.workRef}^`)).trim()).toBe(r.branchCommit);
    const files = (await sb.git(repo, 'diff', '--name-status', r.branchRef, r.workRef!)).split('\n').sort();
    expect(files).toEqual(['A\tnew file.txt', 'A\tstaged.txt', 'M\tsrc/a.txt']);
    expect(await sb.git(repo, 'show', `${r.workRef}:src/a.txt`)).toBe('a\nmore');
    // Nothing of the agent's index or files moved.
    const after = await sshd.exec(`cd '${wt}' && git status --porcelain && sha256sum "$(git rev-parse --git-path index)"`);
    expect(after.stdout).toBe(before.stdout);
    // No local branch or working-tree change: only fleet's refs.
    expect(await sb.git(repo, 'status', '--porcelain')).toBe('');
    expect(await sb.git(repo, 'branch', '--format=%(refname:short)')).toBe('main');
  });

  it('a clean worktree: the branch only, and a stale snapshot ref is dropped', async () => {
    await sshd.exec(`cd '${wt}' && rm -f .env && git add -A && git -c user.name=A -c user.email=a@x commit -qm 'all of it'`);
    const r = await fetchAgentWork(g, { localRepo: repo, repoPath: `${sshd.home}/.ai_fleet/repos/app`, worktree: wt, branch: 'agent-1' });
    expect(r.workRef).toBeNull();
    expect(r.branchCommit).toBe(await remoteGit(wt, 'rev-parse', 'HEAD'));
    expect(await sb.git(repo, 'for-each-ref', '--format=%(refname)', 'refs/fleet/remote-work/')).toBe('');
  });
});
