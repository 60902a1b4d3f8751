import { describe, expect, it } from 'vitest';
import { FS, PANE_FORMAT, parsePanes, parseStatusZ, parseWorktreePorcelain } from '../../src/core/parse.js';

describe('parseWorktreePorcelain', () => {
  it('parses main, branch, detached, locked and prunable entries', () => {
    const out = [
      'worktree /repo', 'HEAD 1111111111111111111111111111111111111111', 'branch refs/heads/main', '',
      'worktree /w/repo/fix-1', 'HEAD 2222222222222222222222222222222222222222', 'branch refs/heads/fix-1', 'locked reason here', '',
      'worktree /w/repo/det', 'HEAD 3333333333333333333333333333333333333333', 'detached', 'prunable gitdir file points to non-existent location', '',
    ].join('\n');
    const entries = parseWorktreePorcelain(out);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ path: '/repo', branch: 'main', detached: false });
    expect(entries[1]).toMatchObject({ path: '/w/repo/fix-1', branch: 'fix-1', locked: true });
    expect(entries[2]).toMatchObject({ path: '/w/repo/det', branch: null, detached: true, prunable: true });
  });
});

describe('parsePanes', () => {
  it('reads the fields of PANE_FORMAT in order, options included', () => {
    expect(PANE_FORMAT.split(FS)).toHaveLength(25);
    const line = ['fleet_r_fix-1', '%3', '4242', '1', '3', '1700000000', '1699999000', 'bash', '/r', 'fix-1', 'b1', 'shell', '/w/r/fix-1', '2026-01-01T00:00:00.000Z', 'abc', '', '', 'build1', '9', '77', '1700000005', 'exited', '1700000010', '', 'exit code 3'].join(FS);
    const [p] = parsePanes(line + '\n' + ['plain', '%4', '1', '0', '', '', '', 'zsh', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', ''].join(FS) + '\n');
    expect(p).toMatchObject({ session: 'fleet_r_fix-1', pid: 4242, dead: true, deadStatus: 3, activity: 1700000000, deadSignal: 9, serverPid: 77, sessionActivity: 1700000005 });
    expect(p!.fleet).toEqual({ repo: '/r', branch: 'fix-1', batch: 'b1', agent: 'shell', worktree: '/w/r/fix-1', created: '2026-01-01T00:00:00.000Z', base: 'abc', host: 'build1' });
    expect(p!.hook).toEqual({ state: 'exited', at: 1700000010, transcript: '', reason: 'exit code 3' });
  });
  it("reads an agent's hooks and state, its reason last and whole even with a separator in it", () => {
    const fields = ['s', '%1', '7', '0', '', '5', '5', 'claude', '/r', 'b', '', 'claude', '/w/b', 'c', 'abc', 'claude', 'conv-1', '', '', '77', '6', 'waiting', '1700000000', '/t/conv-1.jsonl', 'permission: Bash(a\x1fb)'];
    const [p] = parsePanes(fields.join(FS));
    expect(p!.fleet).toMatchObject({ hooks: 'claude', conversation: 'conv-1' });
    expect(p!.hook).toEqual({ state: 'waiting', at: 1700000000, transcript: '/t/conv-1.jsonl', reason: 'permission: Bash(a\x1fb)' });
  });
  it('gives options that are not set as absent, not as empty strings', () => {
    const [p] = parsePanes(['s', '%1', '7', '0', '', '5', '5', 'vim', '', '', '', '', '', '', '', ''].join(FS));
    expect(p!.fleet).toEqual({});
    expect(p!.deadStatus).toBeNull();
    expect(p!.hook).toEqual({ state: '', at: null, transcript: '', reason: '' });
  });
});

describe('parseStatusZ', () => {
  it('handles renames (two NUL-separated paths) and untracked files', () => {
    const out = 'R  new.txt\0old.txt\0?? untracked file.txt\0 M src/a.ts\0';
    expect(parseStatusZ(out)).toEqual([
      { code: 'R ', path: 'new.txt' },
      { code: '??', path: 'untracked file.txt' },
      { code: ' M', path: 'src/a.ts' },
    ]);
  });
});
