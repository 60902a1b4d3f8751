import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, readState, writeConfig, type CliResult, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;

beforeEach(async () => {
  sb = await makeSandbox();
  repo = await sb.repo();
  writeConfig(sb, 'default_agent = "shell"\n');
});

afterEach(async () => {
  await sb.cleanup();
});

/** One `error:` line (and at most a `hint:` line), no stack trace. */
function expectCleanError(r: CliResult, pattern: RegExp, exitCode?: number) {
  if (exitCode !== undefined) expect(r.exitCode).toBe(exitCode);
  else expect(r.exitCode).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.slice(1).every((l) => l.startsWith('hint: '))).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

/** Nothing made: no worktree directory, no tmux session, no record, no new branch. */
async function expectNothingMade() {
  const wtRoot = path.join(sb.fleetHome, 'worktrees');
  expect(fs.existsSync(wtRoot) ? fs.readdirSync(wtRoot) : []).toEqual([]);
  expect((await sb.tmux('list-sessions')).exitCode).not.toBe(0); // no server, so no session
  expect(readState(sb).agents).toEqual([]);
  expect((await sb.git(repo, 'branch', '--format=%(refname:short)')).split('\n')).toEqual(['main']);
  expect(await sb.git(repo, 'worktree', 'list', '--porcelain')).not.toMatch(/worktrees/);
}

describe('bad input creates nothing', () => {
  it.each([['bad..name', /"bad\.\.name".*"\.\."/], ['has space', /contains a space/], ['-leading', /starts with "-"/]])(
    'refuses the branch name %j',
    async (name, why) => {
      const r = await fleet(sb, ['create', '--prompt', 'x', '--', name], { cwd: repo });
      expectCleanError(r, why, 2);
      await expectNothingMade();
    },
  );

  it('refuses an unknown agent profile, listing the known ones', async () => {
    const r = await fleet(sb, ['create', 'x', '--agent', 'nope', '-p', 'x'], { cwd: repo });
    expectCleanError(r, /unknown agent profile "nope"/, 1);
    expect(r.stderr).toMatch(/hint: use one of: .*shell/);
    await expectNothingMade();
  });

  it('refuses an agent whose program is not installed', async () => {
    writeConfig(sb, '[agents.ghost]\ncommand = "definitely-not-installed-xyz --go"\n');
    const r = await fleet(sb, ['create', 'x', '--agent', 'ghost', '-p', 'x'], { cwd: repo });
    expectCleanError(r, /"definitely-not-installed-xyz" \(agent profile "ghost"\) not found on PATH/, 1);
    await expectNothingMade();
  });

  it('refuses to run outside a git repository', async () => {
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: sb.home });
    expectCleanError(r, /not inside a git repository/, 1);
    await expectNothingMade();
  });

  it('refuses a missing --prompt as a usage error', async () => {
    const r = await fleet(sb, ['create', 'x'], { cwd: repo });
    expectCleanError(r, /missing --prompt/, 2);
    await expectNothingMade();
  });

  it('refuses a second agent on the same branch, leaving the first alone', async () => {
    expect((await fleet(sb, ['create', 'x', '-p', 'sleep 30'], { cwd: repo })).exitCode).toBe(0);
    const before = readState(sb).agents;
    const r = await fleet(sb, ['create', 'x', '-p', 'sleep 30'], { cwd: repo });
    expectCleanError(r, /branch "x" already has an agent/, 1);
    expect(r.stderr).toMatch(/hint: fleet attach x, or fleet kill x first/);
    expect(readState(sb).agents).toEqual(before);
    expect((await sb.tmux('has-session', '-t', '=fleet_repo_x')).exitCode).toBe(0);
  });

  it.each([
    ['prompt', ['prompt', 'ghost', 'hello']],
    ['logs', ['logs', 'ghost']],
    ['kill', ['kill', 'ghost']],
    ['attach', ['attach', 'ghost']],
  ])('%s of an unknown agent fails clearly', async (_name, args) => {
    const r = await fleet(sb, args, { cwd: repo });
    expectCleanError(r, /no agent on branch "ghost" in this repository/, 1);
  });

  it('refuses to run anything on a TOML syntax error, naming file, line and column', async () => {
    writeConfig(sb, 'default_agent = "shell"\nmax_parallel = = 2\n');
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: repo });
    expectCleanError(r, new RegExp(`${path.join(sb.fleetHome, 'config.toml').replace(/[.]/g, '\\.')}:2:\\d+: invalid TOML`), 1);
    await expectNothingMade();
  });

  it('refuses a wrong type, naming the key and the expected type', async () => {
    writeConfig(sb, 'max_parallel = "x"\n');
    const r = await fleet(sb, ['list'], { cwd: repo });
    expectCleanError(r, /max_parallel in .*config\.toml must be a whole number, not the string "x"/, 1);
  });

  it('warns about an unknown key, naming it, and goes on', async () => {
    writeConfig(sb, 'default_agent = "shell"\nmax_paralel = 3\n');
    const r = await fleet(sb, ['list'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^warning: unknown key "max_paralel" in .*config\.toml \(ignored\)$/m);
  });

  it('names tmux, with the install command, when it is not on PATH', async () => {
    const bin = path.join(sb.dir, 'only-git');
    fs.mkdirSync(bin);
    for (const tool of ['git', 'bash', 'env']) fs.symlinkSync(whichSync(tool), path.join(bin, tool));
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: repo, env: { PATH: bin } });
    expectCleanError(r, /^error: tmux not found on PATH$/, 1);
    expect(r.stderr).toMatch(/hint: install it: apt-get install tmux .*brew install tmux/);
    await expectNothingMade();
  });

  it('names git, with the install command, when it is not on PATH', async () => {
    const bin = path.join(sb.dir, 'only-tmux');
    fs.mkdirSync(bin);
    for (const tool of ['tmux', 'bash', 'env']) fs.symlinkSync(whichSync(tool), path.join(bin, tool));
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: repo, env: { PATH: bin } });
    expectCleanError(r, /^error: git not found on PATH$/, 1);
    expect(r.stderr).toMatch(/hint: install it: apt-get install git/);
    await expectNothingMade();
  });

  it('rolls back everything when a setup command fails, showing the log tail', async () => {
    writeConfig(sb, 'default_agent = "shell"\nsetup_commands = ["echo preparing", "echo broken-step >&2; exit 7"]\n');
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: setup command failed for "x" \(exit 7\)/m);
    expect(r.stderr).toContain('broken-step');
    expect(r.stderr).toMatch(/hint: full log: /);
    await expectNothingMade();
  });

  it('gives usage errors exit code 2 with a hint', async () => {
    const r = await fleet(sb, ['create', 'x', '--no-such-flag'], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--no-such-flag'/m);
  });
});

function whichSync(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, tool);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${tool} not found`);
}
