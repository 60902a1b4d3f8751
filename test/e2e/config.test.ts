import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleet, makeSandbox, standIn, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let file: string;

beforeEach(async () => {
  sb = await makeSandbox();
  file = path.join(sb.fleetHome, 'config.toml');
});
afterEach(async () => {
  await sb.cleanup();
});

describe('fleet config', () => {
  it('creates a commented default config (0600 in a 0700 home) on first use', async () => {
    const r = await fleet(sb, ['config', 'path']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(file);
    expect(fs.statSync(sb.fleetHome).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    for (const key of ['default_agent', 'worktree_root', 'tmux_prefix', 'credential_files', 'setup_commands', 'max_parallel', 'claude_flags']) {
      expect(text).toMatch(new RegExp(`^# ${key} = `, 'm'));
    }
  });

  it('set writes typed values keeping comments; get reads them back', async () => {
    await fleet(sb, ['config', 'path']);
    expect((await fleet(sb, ['config', 'set', 'max_parallel', '8'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'set', 'setup_commands', '["npm ci", "make"]'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'set', 'agents.mine.command', 'mine --yes {prompt}'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'get', 'max_parallel'])).stdout).toBe('8');
    expect((await fleet(sb, ['config', 'get', 'setup_commands'])).stdout).toBe('["npm ci", "make"]');
    expect((await fleet(sb, ['config', 'get', 'agents.mine.command'])).stdout).toBe('mine --yes {prompt}');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^max_parallel = 8$/m);
    expect(text).toMatch(/^# fleet configuration/);
    const show = await fleet(sb, ['config', 'show']);
    expect(show.stdout).toMatch(/^max_parallel = 8$/m);
    expect(show.stdout).toMatch(/agent profiles: .*mine/);
  });

  it('set refuses a value of the wrong type and leaves the file alone', async () => {
    await fleet(sb, ['config', 'path']);
    const before = fs.readFileSync(file, 'utf8');
    const r = await fleet(sb, ['config', 'set', 'max_parallel', 'lots']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: max_parallel must be a whole number, not "lots"/);
    const r2 = await fleet(sb, ['config', 'set', 'max_parallel', '0']);
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toMatch(/from 1 to 64/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect((await fleet(sb, ['config', 'set', 'nonsense', '1'])).stderr).toMatch(/unknown config key "nonsense"/);
  });

  it('a repository .fleet.toml overrides the user config', async () => {
    const repo = await sb.repo();
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'max_parallel = 2\n');
    await fleet(sb, ['config', 'set', 'max_parallel', '6']);
    expect((await fleet(sb, ['config', 'get', 'max_parallel'], { cwd: repo })).stdout).toBe('2');
    expect((await fleet(sb, ['config', 'get', 'max_parallel'], { cwd: sb.home })).stdout).toBe('6');
  });

  it('edit saves a valid edit and refuses an invalid one, keeping the old file', async () => {
    await fleet(sb, ['config', 'path']);
    const good = standIn(sb, 'good-editor', 'echo \'default_agent = "shell"\' >> "$1"');
    const r = await fleet(sb, ['config', 'edit'], { env: { EDITOR: good } });
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^default_agent = "shell"$/m);

    const before = fs.readFileSync(file, 'utf8');
    const bad = standIn(sb, 'bad-editor', 'echo "max_parallel = [" >> "$1"');
    const r2 = await fleet(sb, ['config', 'edit'], { env: { EDITOR: bad } });
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toMatch(/invalid TOML/);
    expect(r2.stderr).toMatch(/config not changed/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});
