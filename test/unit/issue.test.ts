import { describe, expect, it } from 'vitest';
import { gitAcceptsBranch } from '../helpers/git-check.js';
import { branchForIssue, ghIssueError, parseGhIssueJson, parseIssueRef, slugify } from '../../src/core/issue.js';
import { FleetError } from '../../src/errors.js';
import { GH_BAD_TOKEN, GH_ISSUE_JSON, GH_NOT_FOUND, GH_NOT_LOGGED_IN, GH_NO_REMOTES, GH_OFFLINE } from '../fixtures/gh.js';

describe('parseIssueRef', () => {
  it.each([
    ['123', { provider: 'github', number: 123, url: null }],
    ['#123', { provider: 'github', number: 123, url: null }],
    [' #7 ', { provider: 'github', number: 7, url: null }],
    ['https://github.com/acme/web-app/issues/123', { provider: 'github', number: 123, url: 'https://github.com/acme/web-app/issues/123' }],
    ['https://github.com/acme/web.app/issues/9/', { provider: 'github', number: 9, url: 'https://github.com/acme/web.app/issues/9' }],
    ['https://github.com/acme/app/issues/5#issuecomment-1', { provider: 'github', number: 5, url: 'https://github.com/acme/app/issues/5' }],
    ['https://ghe.corp.example/team/app/issues/42?x=1', { provider: 'github', number: 42, url: 'https://ghe.corp.example/team/app/issues/42' }],
    ['ENG-42', { provider: 'linear', key: 'ENG-42' }],
    ['eng-042', { provider: 'linear', key: 'ENG-42' }],
    ['https://linear.app/acme/issue/ENG-42/fix-the-login-redirect', { provider: 'linear', key: 'ENG-42' }],
    ['https://linear.app/acme/issue/web2-7', { provider: 'linear', key: 'WEB2-7' }],
  ])('%j', (ref, want) => {
    expect(parseIssueRef(ref)).toEqual(want);
  });

  it.each([
    ['0', /not an issue number/],
    ['#', /not an issue reference/],
    ['12a', /not an issue reference/],
    ['acme/app#12', /not an issue reference/],
    ['https://github.com/acme/app/pull/12', /it is a pull request/],
    ['https://github.com/acme/app', /not a GitHub issue URL/],
    ['https://linear.app/acme/project/x', /not a Linear issue URL/],
    ['ENG-', /not an issue reference/],
    ['-42', /not an issue reference/],
  ])('refuses %j as a usage error naming the accepted forms', (ref, re) => {
    let err: FleetError | undefined;
    try {
      parseIssueRef(ref);
    } catch (e) {
      err = e as FleetError;
    }
    expect(err?.message).toMatch(re);
    expect(err?.exitCode).toBe(2);
  });
});

describe('slugify and branchForIssue', () => {
  it('lowercase ASCII words joined by "-", accents folded', () => {
    expect(slugify('Login button does nothing on Safari (iOS 17.2)')).toBe('login-button-does-nothing-on-safari-ios');
    expect(slugify('Crème brûlée: Ärger mit "Umlauten"')).toBe('creme-brulee-arger-mit-umlauten');
    expect(slugify('🚀 !!! ')).toBe('');
  });

  it('at most 40 characters, cut at a word boundary; one huge word is cut hard', () => {
    const s = slugify('Refactor the authentication middleware so that sessions expire correctly');
    expect(s).toBe('refactor-the-authentication-middleware');
    expect(s.length).toBeLessThanOrEqual(40);
    expect(slugify('a'.repeat(60))).toBe('a'.repeat(40));
    expect(slugify('word ' + 'b'.repeat(45))).toBe('word');
  });

  it('issue-N-slug for GitHub, key-slug for Linear, just the number when the title has no letters', () => {
    expect(branchForIssue({ provider: 'github', number: '123', title: 'Login button does nothing on Safari (iOS 17.2)' })).toBe(
      'issue-123-login-button-does-nothing-on-safari-ios',
    );
    expect(branchForIssue({ provider: 'linear', number: 'ENG-42', title: 'Fix the login redirect' })).toBe('eng-42-fix-the-login-redirect');
    expect(branchForIssue({ provider: 'github', number: '9', title: '???' })).toBe('issue-9');
  });

  it.each([
    'fix..dots', 'ends with.lock', 'a/b\\c', '-leading dash', '.hidden', 'x.lock', '@{upstream}', 'HEAD', 'tab\tand\nnewline',
    'Ünïcödé ✓ names', '~^:?*[', 'a'.repeat(300),
  ])('git check-ref-format --branch accepts the branch made from %j', (title) => {
    const branch = branchForIssue({ provider: 'github', number: '1', title });
    expect(gitAcceptsBranch(branch)).toBe(true);
    expect(branch.length).toBeLessThanOrEqual('issue-1-'.length + 40);
  });
});

describe('parseGhIssueJson', () => {
  it("reads gh's own output: labels are objects, the body keeps its bytes", () => {
    const issue = parseGhIssueJson(GH_ISSUE_JSON, '#123');
    expect(issue).toEqual({
      provider: 'github',
      ref: '#123',
      number: '123',
      title: 'Login button does nothing on Safari (iOS 17.2)',
      body: 'Steps to reproduce:\r\n1. Open /login in Safari\r\n2. Click <b>Sign in</b> & wait\r\n\r\nExpected: `it\'s` "logged in" — $(not run)',
      url: 'https://github.com/acme/webapp/issues/123',
      labels: ['bug', 'good first issue'],
    });
  });

  it('says so when gh prints something else', () => {
    expect(() => parseGhIssueJson('title:\tx\nstate:\tOPEN', '#1')).toThrow(/not JSON/);
    expect(() => parseGhIssueJson('{"title":"x"}', '#1')).toThrow(/lacks number, title, url or labels/);
  });
});

describe('ghIssueError', () => {
  const err = (r: { exitCode: number; stderr: string }, viaRemotes = true) => ghIssueError('#123', { ...r, stdout: '' }, viaRemotes);

  it('not logged in (exit 4) and a rejected token both say to log in', () => {
    for (const r of [GH_NOT_LOGGED_IN, GH_BAD_TOKEN]) {
      const e = err(r);
      expect(e.message).toBe('gh is not logged in to GitHub');
      expect(e.hint).toMatch(/^gh auth login/);
    }
  });

  it('an issue that does not exist', () => {
    expect(err(GH_NOT_FOUND(123)).message).toBe("issue #123 not found on GitHub (in the repository gh picked from this clone's remotes)");
    expect(err(GH_NOT_FOUND(123), false).message).toBe('issue #123 not found on GitHub');
    // newer gh names the type: "Could not resolve to an Issue with the number of 7782."
    expect(err({ exitCode: 1, stderr: 'GraphQL: Could not resolve to an Issue with the number of 123. (repository.issue)' }).message).toMatch(/not found/);
  });

  it('no network', () => {
    const e = err(GH_OFFLINE);
    expect(e.message).toBe('could not reach GitHub to read issue #123 (gh: error connecting to api.github.com)');
    expect(e.hint).toMatch(/internet connection/);
  });

  it('a clone without a GitHub remote points at the URL form (not at logging in)', () => {
    const e = err(GH_NO_REMOTES);
    expect(e.message).toMatch(/^gh cannot tell which GitHub repository issue #123 belongs to/);
    expect(e.hint).toBe('give the issue URL instead: --issue https://github.com/OWNER/REPO/issues/123');
  });

  it('anything else: gh\'s own first line', () => {
    expect(err({ exitCode: 1, stderr: 'something odd\nmore' }).message).toBe('gh issue view 123 failed: something odd');
  });
});
