import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { copyFiles } from '../../src/git/copy-files.js';

/** A repository directory with the given files, and a worktree directory laid out by `prepare`. */
function world(files: Record<string, string>, prepare: (wt: string, outside: string) => void) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-copy-')));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  const repo = path.join(dir, 'repo');
  const wt = path.join(dir, 'wt');
  const outside = path.join(dir, 'outside');
  for (const d of [repo, wt, outside]) fs.mkdirSync(d);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.writeFileSync(path.join(repo, f), content);
  }
  prepare(wt, outside);
  return { repo, wt, outside };
}

describe('copyFiles into a worktree laid out by a branch', () => {
  it('makes missing directories and copies', () => {
    const { repo, wt } = world({ 'a/b/c.txt': 'c' }, () => {});
    expect(copyFiles(repo, wt, ['a/b/c.txt'])).toEqual({ copied: ['a/b/c.txt'], notes: [], warnings: [] });
    expect(fs.readFileSync(path.join(wt, 'a/b/c.txt'), 'utf8')).toBe('c');
  });

  it('refuses a link at the file, at a directory on the way (even one pointing inside the worktree), a directory or a file in the way', () => {
    const { repo, wt, outside } = world({ '.env': 'e', 'deep/x/y.txt': 'y', 'inner/z.txt': 'z', 'isdir': 'd', 'file/sub.txt': 's', 'ok.txt': 'ok' }, (w, out) => {
      fs.symlinkSync(path.join(out, 'target'), path.join(w, '.env')); // dangling: would be created
      fs.mkdirSync(path.join(w, 'deep'));
      fs.symlinkSync(out, path.join(w, 'deep', 'x'));
      fs.mkdirSync(path.join(w, 'real'));
      fs.symlinkSync('real', path.join(w, 'inner'));
      fs.mkdirSync(path.join(w, 'isdir'));
      fs.writeFileSync(path.join(w, 'file'), 'a file where a directory would be');
    });
    const r = copyFiles(repo, wt, ['.env', 'deep/x/y.txt', 'inner/z.txt', 'isdir', 'file/sub.txt', 'ok.txt']);
    expect(r.copied).toEqual(['ok.txt']);
    expect(r.warnings.map((w) => w.replace(/; fleet never writes.*/, ''))).toEqual([
      'credential file ".env" not copied: in the worktree it is a symbolic link',
      'credential file "deep/x/y.txt" not copied: in the worktree, "deep/x" is a symbolic link',
      'credential file "inner/z.txt" not copied: in the worktree, "inner" is a symbolic link',
      'credential file "isdir" not copied: in the worktree it is not a regular file',
      'credential file "file/sub.txt" not copied: in the worktree, "file" is not a directory',
    ]);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(path.join(wt, 'real'))).toEqual([]);
  });
});
