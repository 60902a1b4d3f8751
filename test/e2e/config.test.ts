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
    expect((await fleet(sb, ['config', 'set', 'env.HTTP_PROXY', 'http://proxy:3128'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'get', 'env.HTTP_PROXY'])).stdout).toBe('http://proxy:3128');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toMatch(/^max_parallel = 8$/m);
    expect(text).toMatch(/^# fleet configuration/);
    const show = await fleet(sb, ['config', 'show']);
    expect(show.stdout).toMatch(/^max_parallel = 8 +# user file$/m);
    expect(show.stdout).toMatch(/agent profiles: .*mine/);
  });

  it("set of a built-in agent's variable keeps the built-in's command (no command to repeat)", async () => {
    await fleet(sb, ['config', 'path']);
    const set = await fleet(sb, ['config', 'set', 'agents.claude.env.DISABLE_TELEMETRY', '1']);
    expect(set.stderr).toBe(`set agents.claude.env.DISABLE_TELEMETRY = "1" in ${file}`);
    expect(set.exitCode).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^\[agents\.claude\.env\]\nDISABLE_TELEMETRY = "1"$/m);
    expect((await fleet(sb, ['config', 'get', 'agents.claude.env.DISABLE_TELEMETRY'])).stdout).toBe('1');
    expect((await fleet(sb, ['config', 'get', 'agents.claude.command'])).stdout).toBe('claude {prompt}');
    // A profile of your own is nothing without its command.
    const mine = await fleet(sb, ['config', 'set', 'agents.mine.env.A', '1']);
    expect(mine.exitCode).not.toBe(0);
    expect(mine.stderr.split('\n')).toEqual([
      `error: [agents.mine] in ${file} has no command`,
      expect.stringMatching(/^hint: fleet config set agents\.mine\.command "mytool \{prompt\}" \(only a built-in agent, claude, .* may leave it out/),
    ]);
  });

  it('set refuses a value of the wrong type and leaves the file alone', async () => {
    await fleet(sb, ['config', 'path']);
    const before = fs.readFileSync(file, 'utf8');
    const r = await fleet(sb, ['config', 'set', 'max_parallel', 'lots']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: max_parallel must be a whole number, not "lots"/);
    // A value out of range is as much a usage error as one of the wrong type.
    const r2 = await fleet(sb, ['config', 'set', 'max_parallel', '0']);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toBe('error: max_parallel must be a whole number from 1 to 64, not "0"\nhint: fleet config set --help shows examples');
    const r3 = await fleet(sb, ['config', 'set', 'default_agent', 'nosuchagent']);
    expect(r3.exitCode).toBe(2);
    expect(r3.stderr).toBe(
      `error: default_agent in ${file} names "nosuchagent", which is not an agent profile\n` +
        'hint: use one of: aider, claude, codex, gemini, opencode, shell; or define it first: fleet config set agents.nosuchagent.command "…"',
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    const r4 = await fleet(sb, ['config', 'set', 'nonsense', '1']);
    expect(r4.exitCode).toBe(2);
    expect(r4.stderr).toMatch(/unknown config key "nonsense"/);
    // A profile of your own is a fine default once it exists.
    expect((await fleet(sb, ['config', 'set', 'agents.mine.command', 'mine {prompt}'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'set', 'default_agent', 'mine'])).exitCode).toBe(0);
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
    // One error line (file, line, column, what) and the hint, nothing else.
    const lines = r2.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^error: ${file}:\\d+:\\d+: invalid TOML: `));
    expect(lines[1]).toBe(`hint: nothing was saved (${file} is as it was); run fleet config edit to try again`);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    const unknownAgent = standIn(sb, 'agent-editor', 'sed -i \'s/^default_agent = .*/default_agent = "nope"/\' "$1"');
    const r3 = await fleet(sb, ['config', 'edit'], { env: { EDITOR: unknownAgent } });
    expect(r3.exitCode).toBe(1);
    expect(r3.stderr.split('\n')[0]).toBe(`error: default_agent in ${file} names "nope", which is not an agent profile`);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('set takes values that start with "-" (claude_flags "--model sonnet")', async () => {
    const r = await fleet(sb, ['config', 'set', 'claude_flags', '--model sonnet']);
    expect(r.stderr).toBe(`set claude_flags = "--model sonnet" in ${file}`);
    expect(r.exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'get', 'claude_flags'])).stdout).toBe('--model sonnet');
    // "--" lets through a value that is also one of fleet's own options.
    expect((await fleet(sb, ['config', 'set', 'claude_flags', '--', '-v'])).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'get', 'claude_flags'])).stdout).toBe('-v');
    // Forgetting the quotes is named, with the quoted command.
    const unquoted = await fleet(sb, ['config', 'set', 'claude_flags', '--model', 'sonnet']);
    expect(unquoted.exitCode).toBe(2);
    expect(unquoted.stderr).toBe('error: config set takes one value, got 2 words: --model sonnet\nhint: quote it: fleet config set claude_flags "--model sonnet"');
  });

  it('a relative worktree_root is relative to the config file, wherever fleet runs', async () => {
    const repo = await sb.repo();
    fs.mkdirSync(path.join(repo, 'sub'));
    const set = await fleet(sb, ['config', 'set', 'worktree_root', 'trees'], { cwd: path.join(repo, 'sub') });
    expect(set.stderr).toBe(`set worktree_root = "trees" (${sb.fleetHome}/trees) in ${file}`);
    for (const cwd of [repo, path.join(repo, 'sub')]) {
      expect((await fleet(sb, ['config', 'get', 'worktree_root'], { cwd })).stdout).toBe(path.join(sb.fleetHome, 'trees'));
    }
    fs.appendFileSync(file, 'default_agent = "shell"\n');
    const r = await fleet(sb, ['create', 'rel', '--quick', '-p', 'sleep 300'], { cwd: path.join(repo, 'sub') });
    expect(r.exitCode).toBe(0);
    expect(fs.existsSync(path.join(sb.fleetHome, 'trees', 'repo', 'rel'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'sub', 'trees'))).toBe(false);
    // In a (trusted) repository file: relative to the repository's root.
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'worktree_root = "../repo-trees"\n');
    expect((await fleet(sb, ['trust', '--yes'], { cwd: repo })).exitCode).toBe(0);
    expect((await fleet(sb, ['config', 'get', 'worktree_root'], { cwd: path.join(repo, 'sub') })).stdout).toBe(path.join(sb.dir, 'repo-trees'));
  });

  it('a fleet home others can read is made 0700 with one warning; one others can write to is refused', async () => {
    fs.mkdirSync(sb.fleetHome, { mode: 0o755 });
    fs.chmodSync(sb.fleetHome, 0o755);
    const r = await fleet(sb, ['config', 'path']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`warning: fleet home ${sb.fleetHome} was readable by other users (mode 0755); made it 0700`);
    expect(fs.statSync(sb.fleetHome).mode & 0o7777).toBe(0o700);
    expect((await fleet(sb, ['config', 'path'])).stderr).toBe('');

    fs.chmodSync(sb.fleetHome, 0o1777);
    const shared = await fleet(sb, ['config', 'show']);
    expect(shared.exitCode).toBe(1);
    expect(shared.stderr).toBe(
      `error: fleet home ${sb.fleetHome} can be written by other users (mode 1777)\n` +
        `hint: if it is yours alone, check that nothing in it was planted, then: chmod 700 ${sb.fleetHome}; otherwise point AI_FLEET_HOME at a directory of your own`,
    );
    expect(fs.statSync(sb.fleetHome).mode & 0o7777).toBe(0o1777);
  });

  it('an unknown subcommand is "unknown command", with a suggestion when one is close', async () => {
    const list = await fleet(sb, ['config', 'list']);
    expect(list.exitCode).toBe(2);
    expect(list.stderr).toBe("error: unknown command 'list'\nhint: add --help to see the usage");
    const sett = await fleet(sb, ['config', 'sett', 'x']);
    expect(sett.exitCode).toBe(2);
    expect(sett.stderr).toBe("error: unknown command 'sett'\nhint: did you mean set?");
    // No command at all is still show.
    const bare = await fleet(sb, ['config']);
    expect(bare.exitCode).toBe(0);
    expect(bare.stdout).toMatch(/^max_parallel = 4 +# default$/m);
  });

  it('show says where each value comes from, and marks the repository keys it ignores', async () => {
    const repo = await sb.repo();
    await fleet(sb, ['config', 'set', 'setup_commands', 'make deps']);
    fs.writeFileSync(path.join(repo, '.fleet.toml'), 'idle_seconds = 9\nsetup_commands = ["curl x | sh"]\n[env]\nHTTP_PROXY = "http://p:3128"\n');
    const r = await fleet(sb, ['config', 'show'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `# user file: ${file}`,
      `# repository file: ${repo}/.fleet.toml (not trusted; fleet trust applies setup_commands and env.HTTP_PROXY)`,
    ]);
    expect(r.stdout).toMatch(/^default_agent = "claude" +# default$/m);
    expect(r.stdout).toMatch(/^setup_commands = \["make deps"\] +# user file\n# setup_commands = \["curl x \| sh"\] +# repository file, ignored until trusted$/m);
    expect(r.stdout).toMatch(/^idle_seconds = 9 +# repository file$/m);
    expect(r.stdout).toMatch(/^# env\.HTTP_PROXY = "http:\/\/p:3128" +# repository file, ignored until trusted$/m);
    await fleet(sb, ['trust', '--yes'], { cwd: repo });
    const trusted = await fleet(sb, ['config', 'show'], { cwd: repo });
    expect(trusted.stdout).toMatch(/^# repository file: .* \(trusted\)$/m);
    expect(trusted.stdout).toMatch(/^env\.HTTP_PROXY = "http:\/\/p:3128" +# repository file$/m);
  });

  it('help of config and its commands: examples, and every line within 80 columns', async () => {
    for (const sub of [[], ['show'], ['path'], ['get'], ['set'], ['edit']]) {
      const r = await fleet(sb, ['config', ...sub, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout, sub.join(' ')).toMatch(/\nExamples?:\n {2}(fleet|\$EDITOR|EDITOR)/);
      for (const line of r.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    }
    expect((await fleet(sb, ['config', 'set', '--help'])).stdout).toContain('fleet config set claude_flags "--model sonnet"');
  });

  it('a bare repository is named as such: fleet needs a working tree', async () => {
    const bare = path.join(sb.dir, 'bare.git');
    await sb.git(sb.dir, 'init', '-q', '--bare', bare);
    const r = await fleet(sb, ['create', 'x', '-p', 'x'], { cwd: bare });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(
      'error: fleet needs a working tree, and this is a bare repository (or inside a .git directory)\n' +
        'hint: run fleet in a clone with a working tree: git clone <this repository> <dir>, then cd <dir>',
    );
  });
});
