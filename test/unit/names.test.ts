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
  it('replaces everything outside [A-Za-z0-9_-] with "-", and then tells the branch apart by a hash of it', () => {
    expect(sessionNameFor('fleet_', 'my.repo', 'feature-x')).toBe('fleet_my-repo_feature-x');
    expect(sessionNameFor('fleet_', 'my.repo', 'feature/x.y')).toMatch(/^fleet_my-repo_feature-x-y-[0-9a-f]{6}$/);
  });
  it('gives every branch its own name: lossy, lookalike and long ones', () => {
    const branches = ['feat/login', 'feat-login', 'feat.login', 'feat-login-3fa9c1', 'feat/login/x', 'a'.repeat(250), `${'a'.repeat(250)}b`];
    const hashed = sessionNameFor('fleet_', 'r', 'feat/login');
    branches.push(hashed.slice('fleet_r_'.length)); // a branch spelled like feat/login's session
    const names = branches.map((b) => sessionNameFor('fleet_', 'r', b));
    expect(new Set(names).size).toBe(branches.length);
    for (const n of names) expect(n).toMatch(/^[A-Za-z0-9_-]{1,120}$/);
    expect(sessionNameFor('fleet_', 'r', 'feat/login')).toBe(hashed); // stable
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
  it('tells apart directory names that tmux would make equal (my.app and my-app)', () => {
    expect(agentRepoName('/y/my-app', 'my-app', [rec('/x/my.app', 'my.app')])).toMatch(/^my-app-[0-9a-f]{6}$/);
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
