import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatChanges,
  mergeMessage,
  parseNumstatZ,
  parseStrategy,
  squashMessage,
  sumNumstat,
  wipCommitMessage,
} from '../../src/core/changes.js';

describe('parseNumstatZ', () => {
  it('reads plain entries, binary files and renames (empty path, then old and new)', () => {
    // Captured from `git diff --cached --numstat -z` after a rename with an edit, a binary change
    // and a new file whose name has a space and a tab.
    const out = '-\t-\tbin\x001\t0\t\x00a.txt\x00c.txt\x002\t0\tsp ace\tx.txt\x00';
    expect(parseNumstatZ(out)).toEqual([
      { path: 'bin', from: null, added: null, removed: null },
      { path: 'c.txt', from: 'a.txt', added: 1, removed: 0 },
      { path: 'sp ace\tx.txt', from: null, added: 2, removed: 0 },
    ]);
  });

  it('agrees with real git on a repository with every kind of change', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-numstat-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'init.defaultBranch=main', '-c', 'diff.renames=true', ...args], { cwd: dir, encoding: 'utf8' });
    try {
      git('init', '-q');
      fs.writeFileSync(path.join(dir, 'keep.txt'), Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join(''));
      fs.writeFileSync(path.join(dir, 'gone.txt'), 'a\nb\nc\n');
      fs.writeFileSync(path.join(dir, 'img.bin'), Buffer.from([0, 1, 2, 3]));
      git('add', '-A');
      git('commit', '-qm', 'base');
      git('mv', 'keep.txt', 'moved.txt');
      fs.appendFileSync(path.join(dir, 'moved.txt'), 'one more\n');
      fs.rmSync(path.join(dir, 'gone.txt'));
      fs.writeFileSync(path.join(dir, 'img.bin'), Buffer.from([0, 9, 9]));
      fs.writeFileSync(path.join(dir, 'new file.md'), 'x\ny\n');
      git('add', '-A');
      const entries = parseNumstatZ(git('diff', '--cached', '--numstat', '-z', 'HEAD'));
      expect(entries).toHaveLength(4);
      expect(entries).toContainEqual({ path: 'moved.txt', from: 'keep.txt', added: 1, removed: 0 });
      expect(entries).toContainEqual({ path: 'gone.txt', from: null, added: 0, removed: 3 });
      expect(entries).toContainEqual({ path: 'img.bin', from: null, added: null, removed: null });
      expect(entries).toContainEqual({ path: 'new file.md', from: null, added: 2, removed: 0 });
      expect(sumNumstat(entries)).toEqual({ files: 4, added: 3, removed: 3 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives nothing for no output', () => {
    expect(parseNumstatZ('')).toEqual([]);
    expect(sumNumstat([])).toEqual({ files: 0, added: 0, removed: 0 });
  });
});

describe('formatChanges', () => {
  it('says files and +added/-removed, "none" for nothing and "?" when unknown', () => {
    expect(formatChanges({ files: 3, added: 40, removed: 12 })).toBe('3 files +40/-12');
    expect(formatChanges({ files: 1, added: 2, removed: 0 })).toBe('1 file +2/-0');
    expect(formatChanges({ files: 0, added: 0, removed: 0 })).toBe('none');
    expect(formatChanges(null)).toBe('?');
  });
});

describe('commit messages', () => {
  it('the commit of uncommitted work says fleet made it, that untracked files are in it, and lists them', () => {
    const msg = wipCommitMessage('fix-2', [
      { code: ' M', path: 'src/a.ts' },
      { code: '??', path: 'notes.md' },
      { code: 'D ', path: 'old.txt' },
    ]);
    const [subject, blank, ...body] = msg.split('\n');
    expect(subject).toBe('fix-2: uncommitted work (2 changed, 1 untracked files)');
    expect(blank).toBe('');
    expect(body.join('\n')).toMatch(/fleet pick committed the uncommitted work/);
    expect(body.join('\n')).toMatch(/including untracked files/);
    expect(body).toContain('  modified     src/a.ts');
    expect(body).toContain('  untracked    notes.md');
    expect(body).toContain('  deleted      old.txt');
  });

  it('does not claim untracked files when there are none, and caps a long list', () => {
    const entries = Array.from({ length: 60 }, (_, i) => ({ code: ' M', path: `f${i}` }));
    const msg = wipCommitMessage('b', entries);
    expect(msg).not.toMatch(/untracked/);
    expect(msg).toMatch(/… and 10 more/);
    expect(msg.split('\n').filter((l) => l.startsWith('  modified'))).toHaveLength(50);
  });

  it('squash keeps a single subject, lists several; merge is worded as git words it', () => {
    expect(squashMessage('fix', ['Fix the bug']).split('\n')[0]).toBe('Fix the bug');
    expect(squashMessage('fix', ['one', 'two'])).toBe("Squash branch 'fix' (2 commits)\n\n* one\n* two\n");
    expect(mergeMessage('fix', 'main')).toBe("Merge branch 'fix'");
    expect(mergeMessage('fix', 'release')).toBe("Merge branch 'fix' into release");
  });
});

describe('parseStrategy', () => {
  it('defaults to merge and refuses unknown names', () => {
    expect(parseStrategy(undefined)).toBe('merge');
    expect(parseStrategy('Squash')).toBe('squash');
    expect(parseStrategy('rebase')).toBe('rebase');
    expect(parseStrategy('octopus')).toBeNull();
  });
});
