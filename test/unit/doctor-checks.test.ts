import { describe, expect, it } from 'vitest';
import { evaluate, installLine, parseProbe, parseVersion, type MachineFacts } from '../../src/core/doctor-checks.js';

const facts = (programs: MachineFacts['programs'], more: Partial<MachineFacts> = {}): MachineFacts => ({
  programs, os: 'Linux', packageManager: 'apt-get', root: false, ...more,
});
const good = {
  git: { path: '/usr/bin/git', version: 'git version 2.39.5' },
  tmux: { path: '/usr/bin/tmux', version: 'tmux 3.3a' },
  bash: { path: '/bin/bash', version: 'GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)' },
  ps: { path: '/bin/ps', version: 'ps from procps-ng 4.0.2' },
  npm: { path: '/usr/bin/npm', version: null },
};

describe('doctor checks', () => {
  it('reads the probe output (tab-separated, empty path = not found)', () => {
    const f = parseProbe('prog\tgit\t/usr/bin/git\tgit version 2.39.5\nprog\ttmux\t\t\nos\tLinux\npm\tapt-get\nuid\t0\n');
    expect(f).toEqual({ programs: { git: { path: '/usr/bin/git', version: 'git version 2.39.5' }, tmux: { path: null, version: null } }, os: 'Linux', packageManager: 'apt-get', root: true });
  });
  it('all there: every base tool ok with its version', () => {
    const checks = evaluate(facts(good), []);
    expect(checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['git', 'ok', '2.39.5 (/usr/bin/git)'],
      ['tmux', 'ok', '3.3a (/usr/bin/tmux)'],
      ['bash', 'ok', '5.2.15 (/bin/bash)'],
      ['ps', 'ok', 'procps 4.0.2 (/bin/ps)'],
    ]);
  });
  it('too old git/tmux, by the numbers (2.30, 3.0), with the upgrade line', () => {
    const checks = evaluate(facts({ ...good, git: { path: '/usr/bin/git', version: 'git version 2.29.9' }, tmux: { path: '/t', version: 'tmux 2.9a' } }), []);
    expect(checks[0]).toMatchObject({ name: 'git', status: 'old', fix: 'sudo apt-get install -y git' });
    expect(checks[0]!.detail).toMatch(/too old: fleet needs 2\.30 or newer/);
    expect(checks[1]).toMatchObject({ name: 'tmux', status: 'old' });
    expect(evaluate(facts({ ...good, tmux: { path: '/t', version: 'tmux next-3.4' } }), [])[1]!.status).toBe('ok');
    expect(evaluate(facts({ ...good, git: { path: '/g', version: 'git version 2.30.0' } }), [])[0]!.status).toBe('ok');
    expect(evaluate(facts({ ...good, tmux: { path: '/t', version: 'tmux 2.9a' } }, { packageManager: 'brew' }), [])[1]!.fix).toBe('brew upgrade tmux');
  });
  it('install lines per package manager, sudo only when not root, ps from its package', () => {
    expect(installLine('tmux', { packageManager: 'apt-get', root: false })).toBe('sudo apt-get install -y tmux');
    expect(installLine('tmux', { packageManager: 'apt-get', root: true })).toBe('apt-get install -y tmux');
    expect(installLine('ps', { packageManager: 'apt-get', root: true })).toBe('apt-get install -y procps');
    expect(installLine('ps', { packageManager: 'dnf', root: false })).toBe('sudo dnf install -y procps-ng');
    expect(installLine('tmux', { packageManager: 'brew', root: false })).toBe('brew install tmux');
    expect(installLine('git', { packageManager: 'apk', root: false })).toBe('sudo apk add git');
    expect(installLine('git', { packageManager: null, root: false })).toMatch(/apt-get install git, brew install git/);
  });
  it('the default agent missing is a problem; other profiles are only noted; npm missing puts Node first', () => {
    const agents = [
      { profile: 'claude', program: 'claude', required: true },
      { profile: 'codex', program: 'codex', required: false },
      { profile: 'mine', program: '/opt/mine/bin/tool', required: false },
    ];
    const [claude, codex, mine] = evaluate(facts(good), agents).slice(4);
    expect(claude).toMatchObject({ status: 'missing', fix: 'npm install -g @anthropic-ai/claude-code' });
    expect(codex).toMatchObject({ status: 'optional', fix: 'npm install -g @openai/codex' });
    expect(mine).toMatchObject({ name: 'mine (/opt/mine/bin/tool)', status: 'optional', fix: 'install /opt/mine/bin/tool, or change [agents.mine] command in your config' });
    const { npm: _npm, ...noNpm } = good;
    expect(evaluate(facts(noNpm, { root: true }), agents)[4]!.fix).toBe('apt-get install -y nodejs npm && npm install -g @anthropic-ai/claude-code');
    expect(evaluate(facts(noNpm, { packageManager: 'brew' }), agents)[4]!.fix).toBe('brew install node && npm install -g @anthropic-ai/claude-code');
  });
  it('parses versions the way tools print them', () => {
    expect(parseVersion('git version 2.39.5')).toEqual([2, 39]);
    expect(parseVersion('tmux 3.3a')).toEqual([3, 3]);
    expect(parseVersion('tmux master')).toBeNull();
  });
});
