import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, startScriptAgents, snapshotTree, writeConfig, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo('repo', { 'README.md': '# test repo\n', 'src/app.txt': 'alpha\nbeta\n' });
  // A credential file fleet copies into each worktree: it is not the agent's work.
  fs.writeFileSync(path.join(repo, '.env'), 'SECRET=1\n');
  writeConfig(sb, 'default_agent = "shell"\ncredential_files = [".env"]\n');
});
afterEach(async () => {
  await sb.cleanup();
});

const startAgents = (agents: Record<string, string>, batch: string | null) => startScriptAgents(sb, repo, agents, batch);

function worktreeOf(branch: string): string {
  return path.join(sb.fleetHome, 'worktrees', 'repo', branch);
}

/** Files, index and `git status` of a worktree: what must not change while fleet reads it. */
async function observe(branch: string) {
  const wt = worktreeOf(branch);
  const gitDir = (await sb.git(wt, 'rev-parse', '--absolute-git-dir')).trim();
  return {
    files: snapshotTree(wt),
    index: fs.readFileSync(path.join(gitDir, 'index')).toString('base64'),
    status: await sb.git(wt, '--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=all'),
  };
}

describe('fleet diff', () => {
  it("shows each agent's whole change exactly (commits, uncommitted edits, untracked files) and changes no worktree", async () => {
    await startAgents(
      {
        c1: `echo one > one.txt && git add one.txt && git commit -qm 'c1 work'`,
        c2: `printf 'alpha\\nBETA\\n' > src/app.txt && mkdir -p src/lib && echo two > src/lib/two.txt && git add src && git commit -qm 'c2 work'`,
        w3: `echo staged > staged.txt && git add staged.txt && echo 'more text' >> README.md && echo fresh > untracked.txt`,
      },
      'cmp',
    );
    const before = { c1: await observe('c1'), c2: await observe('c2'), w3: await observe('w3') };
    expect(before.w3.status.split('\n').sort()).toEqual(['?? .env', '?? untracked.txt', 'A  staged.txt', ' M README.md'].sort());
    const base = (await sb.git(repo, 'rev-parse', 'HEAD')).trim();

    // Committed work only: byte for byte what git itself shows for the branch.
    const c1 = await fleet(sb, ['diff', 'c1'], { cwd: repo });
    expect(c1.exitCode, c1.stderr).toBe(0);
    expect(c1.stdout).toBe(await sb.git(repo, 'diff', base, 'c1'));
    expect(c1.stdout).toMatch(/^\+one$/m);

    const c2 = await fleet(sb, ['diff', 'c2', '--name-only'], { cwd: repo });
    expect(c2.stdout.split('\n')).toEqual(['src/app.txt', 'src/lib/two.txt']);
    const c2full = await fleet(sb, ['diff', 'c2'], { cwd: repo });
    expect(c2full.stdout).toMatch(/^-beta$/m);
    expect(c2full.stdout).toMatch(/^\+BETA$/m);

    // Uncommitted: the staged file, the edit and the untracked file; the copied .env is not the agent's.
    const w3 = await fleet(sb, ['diff', 'w3'], { cwd: repo });
    expect(w3.exitCode, w3.stderr).toBe(0);
    const files = [...w3.stdout.matchAll(/^diff --git a\/(\S+) /gm)].map((m) => m[1]);
    expect(files).toEqual(['README.md', 'staged.txt', 'untracked.txt']);
    expect(w3.stdout).toMatch(/^\+more text$/m);
    expect(w3.stdout).toMatch(/new file mode 100644\nindex 0+\.\.[0-9a-f]+\n--- \/dev\/null\n\+\+\+ b\/untracked.txt\n@@ -0,0 \+1 @@\n\+fresh/);
    expect(w3.stdout).not.toMatch(/SECRET/);

    const stat = await fleet(sb, ['diff', 'w3', '--stat'], { cwd: repo });
    expect(stat.stdout).toMatch(/3 files changed, 3 insertions\(\+\)/);

    // list --changes: files and +added/-removed lines of the same whole change, per agent.
    const listed = await fleet(sb, ['list', '--json', '--changes'], { cwd: repo });
    const changes = Object.fromEntries((JSON.parse(listed.stdout) as Array<{ branch: string; changes: unknown }>).map((a) => [a.branch, a.changes]));
    expect(changes).toEqual({
      c1: { files: 1, added: 1, removed: 0 },
      c2: { files: 2, added: 2, removed: 1 },
      w3: { files: 3, added: 3, removed: 0 },
    });
    const table = await fleet(sb, ['list', '--changes'], { cwd: repo });
    expect(table.stdout.split('\n')[0]).toMatch(/\bCHANGES\b/);
    expect(table.stdout).toMatch(/^w3 .* 3 files \+3\/-0 /m);
    // Without --changes they are not computed (list stays at a constant number of git calls).
    const plain = JSON.parse((await fleet(sb, ['list', '--json'], { cwd: repo })).stdout) as Array<{ changes: unknown }>;
    expect(plain.map((a) => a.changes)).toEqual([null, null, null]);
    expect((await fleet(sb, ['list'], { cwd: repo })).stdout).not.toMatch(/CHANGES/);

    // Nothing about any worktree changed: files, index bytes, staged/unstaged split.
    expect(await observe('c1')).toEqual(before.c1);
    expect(await observe('c2')).toEqual(before.c2);
    expect(await observe('w3')).toEqual(before.w3);
  });

  it('leaves out a credential file git ignores: diff, list --changes and pick work, and it never lands in a commit', async () => {
    // The setup the default config suggests: .env ignored by git, and copied into each worktree.
    fs.writeFileSync(path.join(repo, '.gitignore'), '.env\n');
    await sb.git(repo, 'add', '.gitignore');
    await sb.git(repo, 'commit', '-qm', 'ignore .env');
    await startAgents({ ig: `echo SECRET=2 >> .env && echo work > work.txt && echo more >> README.md` }, null);

    const diff = await fleet(sb, ['diff', 'ig', '--name-only'], { cwd: repo });
    expect(diff, diff.stderr).toMatchObject({ exitCode: 0, stdout: 'README.md\nwork.txt', stderr: '' });
    const patch = await fleet(sb, ['diff', 'ig'], { cwd: repo });
    expect(patch.stdout).not.toMatch(/SECRET/);

    const listed = JSON.parse((await fleet(sb, ['list', '--json', '--changes'], { cwd: repo })).stdout) as Array<{ changes: unknown }>;
    expect(listed.map((a) => a.changes)).toEqual([{ files: 2, added: 2, removed: 0 }]);

    const pick = await fleet(sb, ['pick', 'ig', '--yes'], { cwd: repo });
    expect(pick.exitCode, pick.stderr).toBe(0);
    expect(fs.readFileSync(path.join(repo, 'work.txt'), 'utf8')).toBe('work\n');
    expect(await sb.git(repo, 'log', '--all', '--format=', '--name-only')).not.toMatch(/\.env/);
    expect(fs.readFileSync(path.join(repo, '.env'), 'utf8')).toBe('SECRET=1\n');
  });

  it('says when there is nothing to show, refuses unknown agents and clashing flags', async () => {
    await startAgents({ quiet: 'true' }, 'b');
    const none = await fleet(sb, ['diff', 'quiet'], { cwd: repo });
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^no changes on "quiet" since its base [0-9a-f]{7}$/m);

    const unknown = await fleet(sb, ['diff', 'nope'], { cwd: repo });
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no agent on branch "nope" in this repository\nhint: /);

    const both = await fleet(sb, ['diff', 'quiet', '--stat', '--name-only'], { cwd: repo });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
  });

  it("falls back to the branch's commits when the worktree is gone", async () => {
    await startAgents({ lost: `echo kept > kept.txt && git add kept.txt && git commit -qm kept && echo loose > loose.txt` }, 'b');
    await sb.git(repo, 'worktree', 'remove', '--force', worktreeOf('lost'));
    const r = await fleet(sb, ['diff', 'lost', '--name-only'], { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('kept.txt');
    expect(r.stderr).toMatch(/worktree of "lost" is gone; showing its branch/);
  });
});
