import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addWorktree } from '../../src/git/worktrees.js';
import { isGitLockContention } from '../../src/git/repo.js';
import { CommandError } from '../../src/process/runner.js';
import { fakeRunner, porcelain } from '../helpers/fake-runner.js';

describe('addWorktree when git fails', () => {
  it("shows git's error even when the clean-up after it fails too (a path too long to remove)", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-add-'));
    onTestFinished(() => fs.rmSync(root, { recursive: true, force: true }));
    const dir = path.join(root, 'x'.repeat(300)); // fs.rmSync on it throws ENAMETOOLONG
    const gitSays = "fatal: could not create directory of '" + dir + "': File name too long";
    const f = fakeRunner()
      .on(['git', 'worktree', 'add', '--quiet', '-b', 'b', '--', dir, 'HEAD'], { exitCode: 128, stderr: gitSays })
      .on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }]) })
      .on(['git', 'show-ref', '--verify', '--quiet', 'refs/heads/b'], { exitCode: 1 });
    const e = await addWorktree(f.run, '/repo', { dir, branch: 'b', newBranch: true, base: 'HEAD' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).message).toContain('File name too long');
    expect((e as CommandError).result.stderr).toBe(gitSays);
  });
});

// What git 2.39 prints for a ref whose lock file name is too long for the file system.
const tooLong = (ref: string) => `Preparing worktree (new branch '${ref}')\nfatal: cannot lock ref 'refs/heads/${ref}': Unable to create '/repo/.git/refs/heads/${ref}.lock': File name too long`;

describe('isGitLockContention', () => {
  it("retries another process's lock files, not a failure that every attempt repeats", () => {
    expect(isGitLockContention("fatal: Unable to create '/repo/.git/index.lock': File exists.")).toBe(true);
    expect(isGitLockContention("fatal: cannot lock ref 'refs/heads/b': Unable to create '/repo/.git/refs/heads/b.lock': File exists.")).toBe(true);
    expect(isGitLockContention('error: could not lock config file .git/config: File exists')).toBe(true);
    expect(isGitLockContention(tooLong('b'.repeat(252)))).toBe(false);
    expect(isGitLockContention("fatal: Unable to create '/repo/.git/index.lock': No space left on device")).toBe(false);
    expect(isGitLockContention("fatal: cannot lock ref 'refs/heads/b': Unable to create '/repo/.git/refs/heads/b.lock': Read-only file system")).toBe(false);
  });

  it('addWorktree gives up at once on a lock file name that is too long (the fake runner answers one attempt only)', async () => {
    const branch = 'b'.repeat(252);
    const dir = path.join(os.tmpdir(), 'flt-add-none', branch.slice(0, 10));
    onTestFinished(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
    const f = fakeRunner()
      .on(['git', 'worktree', 'add', '--quiet', '-b', branch, '--', dir, 'HEAD'], { exitCode: 128, stderr: tooLong(branch) })
      .on(['git', 'worktree', 'list', '--porcelain'], { stdout: porcelain([{ path: '/repo', branch: 'main' }]) })
      .on(['git', 'show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { exitCode: 1 });
    const e = await addWorktree(f.run, '/repo', { dir, branch, newBranch: true, base: 'HEAD' }).catch((err: unknown) => err);
    expect((e as CommandError).result.stderr).toMatch(/File name too long$/);
    expect(f.callsOf('git').filter((c) => c.includes('worktree add'))).toHaveLength(1);
  });
});
