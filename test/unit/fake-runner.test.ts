import { describe, expect, it } from 'vitest';
import { CommandError } from '../../src/process/runner.js';
import { FakeRunner } from '../helpers/fake-runner.js';

// The fake runner is what the in-process tests stand on: it must fail loudly when the code
// under test does something nobody scripted, and answer like the real runner otherwise.
describe('the fake runner', () => {
  it('answers a scripted call once, by exact argv and cwd, and records it', async () => {
    const f = new FakeRunner().on(['git', 'status'], { stdout: 'clean' }, { cwd: '/a' });
    expect(await f.run('git', ['status'], { cwd: '/a' })).toEqual({ stdout: 'clean', stderr: '', exitCode: 0 });
    expect(f.calls).toEqual([{ argv: ['git', 'status'], cwd: '/a', env: undefined, input: undefined }]);
    expect(() => f.verify()).not.toThrow();
  });

  it('throws on an unexpected call, and verify still fails after the code under test caught it', async () => {
    const f = new FakeRunner().on(['git', 'status'], {}, { cwd: '/a' });
    await expect(f.run('git', ['status'], { cwd: '/b' })).rejects.toThrow(/unexpected call: git status {2}\(cwd \/b\)/);
    await expect(f.run('tmux', ['kill-server'])).rejects.toThrow(/unexpected call: tmux kill-server/);
    expect(() => f.verify()).toThrow(/unexpected call: git status[\s\S]*unexpected call: tmux kill-server[\s\S]*expected call never made: git status/);
  });

  it('a stub is used up: the same call twice needs times: 2', async () => {
    const f = new FakeRunner().on(/^git rev-parse/, { stdout: 'x' });
    await f.run('git', ['rev-parse', 'HEAD']);
    await expect(f.run('git', ['rev-parse', 'HEAD'])).rejects.toThrow(/unexpected call/);
  });

  it('a non-zero answer throws CommandError like the real runner, unless reject is false', async () => {
    const f = new FakeRunner().on(['git', 'x'], { exitCode: 1, stderr: 'fatal: nope' }, { times: 2 });
    await expect(f.run('git', ['x'])).rejects.toBeInstanceOf(CommandError);
    expect(await f.run('git', ['x'], { reject: false })).toEqual({ stdout: '', stderr: 'fatal: nope', exitCode: 1 });
  });
});
