import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, startScriptAgents, readState, snapshotTree, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo('repo', { 'README.md': '# test repo\n', 'notes.txt': 'first line\nsecond line\n' });
  writeConfig(sb, 'default_agent = "shell"\n');
});
afterEach(async () => {
  await sb.cleanup();
});

const startAgents = (agents: Record<string, string>, batch: string | null) => startScriptAgents(sb, repo, agents, batch);

const worktreeOf = (branch: string) => path.join(sb.fleetHome, 'worktrees', 'repo', branch);
const sessionOf = (branch: string) => `fleet_repo_${branch}`;
const hasSession = async (branch: string) => (await sb.tmux('has-session', '-t', `=${sessionOf(branch)}`)).exitCode === 0;
const branches = async () => (await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n').sort();

/**
 * Every byte a failed pick must leave alone: the main checkout (its .git too, minus the object
 * store, where unreferenced objects may appear), every worktree, and fleet's state.
 */
function world(agents: string[]) {
  const main = snapshotTree(repo);
  for (const k of Object.keys(main)) if (k.startsWith('.git/objects/')) delete main[k];
  return {
    main,
    worktrees: Object.fromEntries(agents.map((b) => [b, snapshotTree(worktreeOf(b))])),
    state: fs.readFileSync(path.join(sb.fleetHome, 'state.json'), 'utf8'),
  };
}

describe('fleet pick', () => {
  it('lands the winner with its uncommitted work, ends the whole batch, keeps every branch', async () => {
    // A credential file fleet copies into every worktree must never land in a commit.
    fs.writeFileSync(path.join(repo, '.env'), 'SECRET=1\n');
    writeConfig(sb, 'default_agent = "shell"\ncredential_files = [".env"]\n');
    await startAgents(
      {
        'cmp-1': `echo one > one.txt && git add one.txt && git commit -qm 'one'`,
        'cmp-2': `echo two > two.txt && git add two.txt && git commit -qm 'two' && echo 'third line' >> notes.txt && echo new > new.txt`,
        'cmp-3': `echo three > three.txt && git add three.txt && git commit -qm 'three'`,
      },
      'cmp',
    );
    const r = await fleet(sb, ['pick', 'cmp-2', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^landed cmp-2 into main \(merge\): main is now at [0-9a-f]{7}$/m);
    expect(r.stdout).toMatch(/uncommitted work \(2 files, 1 of them untracked\) was committed first/);

    // The main checkout has the commits and the uncommitted work, and nothing of the others.
    expect(fs.readFileSync(path.join(repo, 'two.txt'), 'utf8')).toBe('two\n');
    expect(fs.readFileSync(path.join(repo, 'new.txt'), 'utf8')).toBe('new\n');
    expect(fs.readFileSync(path.join(repo, 'notes.txt'), 'utf8')).toBe('first line\nsecond line\nthird line\n');
    expect(fs.existsSync(path.join(repo, 'one.txt'))).toBe(false);
    expect(fs.existsSync(path.join(repo, 'three.txt'))).toBe(false);
    expect(await sb.git(repo, 'status', '--porcelain')).toBe('?? .env');
    expect(await sb.git(repo, 'log', '-1', '--format=%s%n%P')).toMatch(/^Merge branch 'cmp-2'\n[0-9a-f]{40} [0-9a-f]{40}$/);

    // The winner's branch holds its uncommitted work, in a commit that says what it is.
    const wip = await sb.git(repo, 'log', '-1', '--format=%B', 'cmp-2');
    expect(wip).toMatch(/^cmp-2: uncommitted work \(1 changed, 1 untracked files\)/);
    expect(wip).toMatch(/including untracked files/);
    expect(wip).toMatch(/untracked +new\.txt/);
    expect(await sb.git(repo, 'diff', '--name-only', 'main~1', 'main')).toBe('new.txt\nnotes.txt\ntwo.txt');
    expect(await sb.git(repo, 'ls-tree', '-r', '--name-only', 'cmp-2')).not.toMatch(/\.env/);
    expect(await sb.git(repo, 'merge-base', '--is-ancestor', 'cmp-2', 'main').then(() => true)).toBe(true);

    // Sessions and worktrees gone, every branch kept, no record left, no stray worktree.
    for (const b of ['cmp-1', 'cmp-2', 'cmp-3']) {
      expect(await hasSession(b)).toBe(false);
      expect(fs.existsSync(worktreeOf(b))).toBe(false);
    }
    expect(await branches()).toEqual(['cmp-1', 'cmp-2', 'cmp-3', 'main']);
    expect(readState(sb).agents).toEqual([]);
    expect((await sb.git(repo, 'worktree', 'list', '--porcelain')).match(/^worktree /gm)).toHaveLength(1);
    // The losers' unmerged branches are named so nobody forgets them.
    expect(r.stderr).toMatch(/^note: branch "cmp-1" has 1 commit not in its base; it is kept/m);
    expect(r.stderr).toMatch(/^note: branch "cmp-3" has 1 commit not in its base; it is kept/m);
  });

  it('refuses a dirty main checkout and changes nothing anywhere', async () => {
    await startAgents({ 'd-1': `echo x > x.txt && git add x.txt && git commit -qm x`, 'd-2': `echo y > y.txt` }, 'd');
    fs.appendFileSync(path.join(repo, 'README.md'), 'local edit\n');
    const before = world(['d-1', 'd-2']);
    const r = await fleet(sb, ['pick', 'd-2', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: the main checkout has uncommitted changes \("README.md"\); nothing was changed\nhint: commit or stash them first/);
    expect(world(['d-1', 'd-2'])).toEqual(before);
    expect(await hasSession('d-1')).toBe(true);
    expect(await hasSession('d-2')).toBe(true);
  });

  it('on a conflict, with every strategy, aborts cleanly and changes nothing anywhere', async () => {
    await startAgents(
      {
        'k-1': `echo one > one.txt && git add one.txt && git commit -qm one`,
        'k-2': `printf 'first line\\nagent line\\n' > notes.txt && git commit -qam 'agent edit' && echo loose > loose.txt`,
      },
      'k',
    );
    // Meanwhile the main branch changed the same line.
    fs.writeFileSync(path.join(repo, 'notes.txt'), 'first line\nhuman line\n');
    await sb.git(repo, 'commit', '-qam', 'human edit');
    const before = world(['k-1', 'k-2']);
    const beforeBranches = await sb.git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads');
    for (const strategy of ['merge', 'squash', 'rebase']) {
      const r = await fleet(sb, ['pick', 'k-2', '--yes', '--strategy', strategy], { cwd: repo });
      expect(r.exitCode, strategy).toBe(1);
      expect(r.stderr).toMatch(/^error: "k-2" does not (merge cleanly into|rebase cleanly onto) "main": conflict in "notes.txt"; nothing was changed\nhint: ask the agent to fix it: fleet prompt k-2 /);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(world(['k-1', 'k-2']), strategy).toEqual(before);
      expect(await sb.git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads')).toBe(beforeBranches);
    }
    expect(await hasSession('k-1')).toBe(true);
    expect(await hasSession('k-2')).toBe(true);
    expect((await sb.git(repo, 'worktree', 'list', '--porcelain')).match(/^worktree /gm)).toHaveLength(3);
  });

  it("when git refuses to move the main checkout, shows git's whole message, with the files it names", async () => {
    await startAgents({ 'u-1': `echo agent > clash.txt && git add clash.txt && git commit -qm clash` }, null);
    // An untracked file of the user's where the landed commit brings one: git will not overwrite it.
    fs.writeFileSync(path.join(repo, 'clash.txt'), 'mine\n');
    const before = world(['u-1']);
    const r = await fleet(sb, ['pick', 'u-1', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: could not move "main" in the main checkout; nothing was changed:\n {2}The following untracked working tree files would be overwritten by merge:\n {6}clash\.txt\n/);
    expect(r.stderr.match(/^error:/gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/^hint: clear what git names above/m);
    // git's refused merge leaves ORIG_HEAD behind (at the unchanged HEAD); every other byte is as it was.
    const after = world(['u-1']);
    delete after.main['.git/ORIG_HEAD'];
    expect(after).toEqual(before);
    expect(await hasSession('u-1')).toBe(true);
  });

  it('squash lands one commit, rebase replays the commits; both keep the branch', async () => {
    await startAgents(
      {
        sq: `echo a > a.txt && git add a.txt && git commit -qm 'add a' && echo b > b.txt && git add b.txt && git commit -qm 'add b'`,
        rb: `echo c > c.txt && git add c.txt && git commit -qm 'add c' && echo d > d.txt && git add d.txt && git commit -qm 'add d'`,
      },
      null,
    );
    const start = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();
    const sq = await fleet(sb, ['pick', 'sq', '--strategy', 'squash', '-m', 'Add a and b'], { cwd: repo });
    expect(sq.exitCode, sq.stderr).toBe(0);
    expect(await sb.git(repo, 'log', '--format=%s', `${start}..main`)).toBe('Add a and b');
    expect(await sb.git(repo, 'diff', '--name-only', start, 'main')).toBe('a.txt\nb.txt');

    const rb = await fleet(sb, ['pick', 'rb', '--strategy', 'rebase'], { cwd: repo });
    expect(rb.exitCode, rb.stderr).toBe(0);
    expect(await sb.git(repo, 'log', '--format=%s', `${start}..main`)).toBe('add d\nadd c\nAdd a and b');
    expect(await sb.git(repo, 'rev-list', '--merges', `${start}..main`)).toBe('');
    expect(await branches()).toEqual(['main', 'rb', 'sq']);
    expect(readState(sb).agents).toEqual([]);

    const bad = await fleet(sb, ['pick', 'rb', '--strategy', 'rebase', '-m', 'x'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
  });

  it('--into a branch checked out nowhere leaves the main checkout alone; an agent with uncommitted work is kept whole', async () => {
    await sb.git(repo, 'branch', 'release');
    await startAgents(
      {
        'r-1': `echo win > win.txt && git add win.txt && git commit -qm win`,
        'r-2': `echo wip > wip.txt`,
      },
      'r',
    );
    const filesOfMain = () => Object.fromEntries(Object.entries(snapshotTree(repo)).filter(([k]) => !k.startsWith('.git/')));
    const mainBefore = { files: filesOfMain(), head: await sb.git(repo, 'rev-parse', 'main') };
    const r = await fleet(sb, ['pick', 'r-1', '--into', 'release', '--yes'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await sb.git(repo, 'show', 'release:win.txt')).toBe('win');
    expect({ files: filesOfMain(), head: await sb.git(repo, 'rev-parse', 'main') }).toEqual(mainBefore);
    expect(await sb.git(repo, 'rev-parse', 'release~1')).toBe(mainBefore.head);
    // r-2 has uncommitted work: nothing of it is touched, and the output says so.
    expect(r.stderr).toMatch(/^note: "r-2" has uncommitted changes \(wip\.txt\) in .*; kept it\nhint: /m);
    expect(await hasSession('r-2')).toBe(true);
    expect(fs.readFileSync(path.join(worktreeOf('r-2'), 'wip.txt'), 'utf8')).toBe('wip\n');
    expect(readState(sb).agents.map((a) => a.branch)).toEqual(['r-2']);
    expect(await hasSession('r-1')).toBe(false);

    const self = await fleet(sb, ['pick', 'r-2', '--into', 'r-2'], { cwd: repo });
    expect(self.exitCode).toBe(1);
    expect(self.stderr).toMatch(/^error: cannot land "r-2" into itself/);
  });
});

describe('unmerged-work warning', () => {
  it('fleet kill names a branch that has commits not in its base', async () => {
    await startAgents({ keepme: `echo k > k.txt && git add k.txt && git commit -qm k`, plain: 'true' }, null);
    const k = await fleet(sb, ['kill', 'keepme'], { cwd: repo });
    expect(k.exitCode, k.stderr).toBe(0);
    expect(k.stderr).toMatch(/^note: branch "keepme" has 1 commit not in its base; it is kept \(git log [0-9a-f]{7}\.\.keepme\)$/m);
    const p = await fleet(sb, ['kill', 'plain'], { cwd: repo });
    expect(p.exitCode).toBe(0);
    expect(p.stderr).not.toMatch(/not in its base/);
  });
});
