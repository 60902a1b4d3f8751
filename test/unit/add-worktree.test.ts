import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addWorktree } from '../../src/git/worktrees.js';
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
