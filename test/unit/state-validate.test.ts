import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { lockFile, STALE_MS } from '../../src/state/lock.js';
import { validRecord, validateRecords } from '../../src/state/validate.js';
import { record } from '../helpers/fake-runner.js';

describe('validRecord', () => {
  const good = record('a');

  it('keeps a whole record as it is, unknown fields too (a later fleet may have added them)', () => {
    expect(validRecord({ ...good, hooks: { x: 1 } })).toEqual({ ...good, hooks: { x: 1 } });
    const fromIssue = { ...good, issue: 'https://github.com/acme/webapp/issues/123' };
    expect(validRecord(fromIssue)).toEqual(fromIssue);
  });

  it('fills in what older fleets did not write', () => {
    expect(validRecord({ repo: '/r/app', branch: 'b', session: 's', worktree: '/w/b' })).toEqual({
      repo: '/r/app', repo_name: 'app', branch: 'b', batch_id: null, agent: 'unknown', session: 's', worktree: '/w/b',
      base_commit: '', base_ref: '', created_branch: false, copied_files: [], created_at: '1970-01-01T00:00:00.000Z',
      prompt_preview: '', phase: 'ready', owner_pid: null, owner_start: null, issue: null,
    });
  });

  it.each([
    ['not an object', 42],
    ['null', null],
    ['an array', [good]],
    ['no branch', { ...good, branch: undefined }],
    ['an empty session', { ...good, session: '' }],
    ['no worktree', { ...good, worktree: undefined }],
    ['a relative repo', { ...good, repo: 'repo' }],
    ['copied_files not a list of strings', { ...good, copied_files: 'oops' }],
    ['a number for base_commit', { ...good, base_commit: 5 }],
    ['an unknown phase', { ...good, phase: 'done' }],
    ['a negative owner pid', { ...good, owner_pid: -1 }],
    ['"creating" with no owner', { ...good, phase: 'creating', owner_pid: null }],
    ['an issue that is not a URL string', { ...good, issue: 123 }],
  ])('rejects %s', (_, raw) => {
    expect(validRecord(raw)).toBeNull();
  });
});

describe('validateRecords', () => {
  it('sets aside the bad ones and a second record for the same agent or session; keeps the order of the good', () => {
    const [a, b] = [record('a'), record('b')];
    const { good, bad } = validateRecords([a, { x: 1 }, b, { ...a, session: 'other' }, { ...record('c'), session: b.session }]);
    expect(good.map((r) => r.branch)).toEqual(['a', 'b']);
    expect(bad).toHaveLength(3);
  });
});

describe('the state lock without a named holder', () => {
  function lockDirIn(): { file: string; lockDir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flt-lock-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'state.json');
    return { file, lockDir: `${file}.lock` };
  }

  it('is broken once it is older than the stale time, even when something is left inside it', async () => {
    const { file, lockDir } = lockDirIn();
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner'), '{"pid": 12'); // cut short by a kill
    const old = new Date(Date.now() - STALE_MS - 5_000);
    fs.utimesSync(lockDir, old, old);
    const release = await lockFile(file);
    expect(JSON.parse(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    await release();
    expect(fs.existsSync(lockDir)).toBe(false);
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });

  it('one holder at a time within a process: the second waits for the first', async () => {
    const { file } = lockDirIn();
    const order: string[] = [];
    const first = await lockFile(file);
    const second = lockFile(file).then((release) => {
      order.push('second');
      return release;
    });
    await new Promise((r) => setTimeout(r, 200));
    order.push('first releases');
    await first();
    await (await second)();
    expect(order).toEqual(['first releases', 'second']);
  });
});
