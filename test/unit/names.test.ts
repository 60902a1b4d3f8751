import { describe, expect, it } from 'vitest';
import { gitAcceptsBranch } from '../helpers/git-check.js';
import { agentRepoName, branchNameProblem, sessionNameFor, worktreePathFor } from '../../src/core/names.js';
import { globMatch } from '../../src/core/glob.js';
import { splitCommandLine } from '../../src/core/shell-words.js';

describe('branchNameProblem', () => {
  const names = [
    'fix-auth', 'feature/login', 'a.b', 'fix-1', 'x_y', 'é-branch', 'v1.2.3', 'a/b/c',
    'bad..name', 'has space', '-leading', 'trailing/', '/leading', 'end.', 'a//b', 'x.lock', 'a/x.lock/b',
    'tilde~1', 'caret^', 'colon:x', 'q?', 'star*', 'br[ack', 'back\\slash', 'at@{x', '.hidden', 'a/.b', 'tab\tx', '',
  ];
  it.each(names)('agrees with git check-ref-format --branch on %j', (name) => {
    expect(branchNameProblem(name) === null).toBe(gitAcceptsBranch(name));
  });

  it('says why a name is refused', () => {
    expect(branchNameProblem('bad..name')).toMatch(/\.\./);
    expect(branchNameProblem('has space')).toMatch(/space/);
    expect(branchNameProblem('-x')).toMatch(/starts with "-"/);
    // git check-ref-format --branch expands "@" to HEAD's branch, but git branch refuses it.
    expect(branchNameProblem('@')).toMatch(/"@"/);
  });
});

describe('sessionNameFor', () => {
  it('replaces everything outside [A-Za-z0-9_-] with "-"', () => {
    expect(sessionNameFor('fleet_', 'my.repo', 'feature/x.y')).toBe('fleet_my-repo_feature-x-y');
  });
  it('keeps fix-1 and fix-10 distinct', () => {
    expect(sessionNameFor('fleet_', 'r', 'fix-1')).not.toBe(sessionNameFor('fleet_', 'r', 'fix-10'));
  });
});

describe('agentRepoName', () => {
  const rec = (repo: string, repo_name: string) => ({ repo, repo_name });
  it('is the directory name while no other repository uses it', () => {
    expect(agentRepoName('/x/app', 'app', [rec('/y/lib', 'lib')])).toBe('app');
  });
  it('adds a stable hash of the path when another clone called the same has agents', () => {
    const name = agentRepoName('/y/app', 'app', [rec('/x/app', 'app')]);
    expect(name).toMatch(/^app-[0-9a-f]{6}$/);
    expect(agentRepoName('/y/app', 'app', [rec('/x/app', 'app')])).toBe(name);
    expect(agentRepoName('/z/app', 'app', [rec('/x/app', 'app')])).not.toBe(name);
  });
  it('keeps the name its existing agents were made with', () => {
    expect(agentRepoName('/y/app', 'app', [rec('/x/app', 'app'), rec('/y/app', 'app-123abc')])).toBe('app-123abc');
  });
});

describe('worktreePathFor', () => {
  it('nests branch names with "/" under <root>/<repo>', () => {
    expect(worktreePathFor('/w', 'app', 'feat/login')).toBe('/w/app/feat/login');
  });
});

describe('globMatch', () => {
  it('matches *, ? and [..] like a shell', () => {
    expect(globMatch('fix-*', 'fix-10')).toBe(true);
    expect(globMatch('fix-?', 'fix-10')).toBe(false);
    expect(globMatch('fix-[12]', 'fix-2')).toBe(true);
    expect(globMatch('fix.1', 'fixx1')).toBe(false);
  });
});

describe('splitCommandLine', () => {
  it('splits words with quotes and escapes, expanding nothing', () => {
    expect(splitCommandLine(`tool --flag "two words" 'a $b' c\\ d {prompt}`)).toEqual(['tool', '--flag', 'two words', 'a $b', 'c d', '{prompt}']);
  });
  it('refuses an unterminated quote', () => {
    expect(() => splitCommandLine('tool "oops')).toThrow(/unterminated/);
  });
});
