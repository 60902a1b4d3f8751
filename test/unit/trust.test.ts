import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigManager, checkHomePermissions, settingsOf } from '../../src/config/config-manager.js';
import { guardConfig, ignoredWarning } from '../../src/config/ignored.js';
import { CONFIG_KEYS, defaultConfig, type KeySpec } from '../../src/config/schema.js';
import { TrustStore, sha256 } from '../../src/config/trust-store.js';
import { validateConfig } from '../../src/config/validate.js';
import { lineDiff } from '../../src/core/line-diff.js';
import { showable } from '../../src/core/format.js';

function tmp(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flt-trust-')));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fleet home (0700) with a user config, and a repository directory with a .fleet.toml. */
function world(user: string, repoToml: string) {
  const dir = tmp();
  const home = path.join(dir, 'fleet');
  fs.mkdirSync(home, { mode: 0o700 });
  fs.writeFileSync(path.join(home, 'config.toml'), user);
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  fs.writeFileSync(path.join(repo, '.fleet.toml'), repoToml);
  const configs = new ConfigManager({ HOME: path.join(dir, 'home'), AI_FLEET_HOME: home });
  return { dir, home, repo, configs };
}

describe('trust classes', () => {
  it('every key declares one', () => {
    for (const [name, spec] of Object.entries(CONFIG_KEYS as Record<string, KeySpec>)) {
      expect(typeof spec.trust === 'function' || ['harmless', 'gated', 'user-only'].includes(spec.trust), name).toBe(true);
    }
  });

  it('keys that run or choose programs and paths are gated; hosts are user-only; counts are harmless', () => {
    const before = defaultConfig('/h');
    before.agents = { mine: { command: 'mine' } };
    const values = validateConfig(
      {
        max_parallel: 2,
        idle_seconds: 5,
        setup_commands: ['x'],
        credential_files: ['.env'],
        claude_flags: '--x',
        worktree_root: '/w',
        tmux_prefix: 'p_',
        compare_command: 'make test',
        env: { A: 'b' },
        agents: { evil: { command: 'evil' } },
        hosts: { h: { ssh: 'h' } },
      },
      'repo/.fleet.toml',
    ).values;
    const classes = Object.fromEntries(settingsOf(values, before).map((k) => [k.key, k.cls]));
    expect(classes).toEqual({
      max_parallel: 'harmless',
      idle_seconds: 'harmless',
      setup_commands: 'gated',
      credential_files: 'gated',
      claude_flags: 'gated',
      worktree_root: 'gated',
      tmux_prefix: 'gated',
      compare_command: 'gated',
      'env.A': 'gated',
      'agents.evil': 'gated',
      'hosts.h': 'user-only',
    });
    const agent = (name: string) => settingsOf({ default_agent: name }, before)[0]!.cls;
    expect(agent('codex')).toBe('harmless'); // a built-in
    expect(agent('shell')).toBe('gated'); // a built-in that runs its prompt as a bash command
    expect(agent('mine')).toBe('harmless'); // the user's own profile
    expect(agent('evil')).toBe('gated'); // only the repository could define it
    // The user's [agents.shell.env] alone is still the built-in shell, which runs its prompt.
    const withEnv = { agents: { ...before.agents, shell: { env: { A: '1' } } } };
    expect(settingsOf({ default_agent: 'shell' }, withEnv)[0]!.cls).toBe('gated');
  });
});

describe('ConfigManager.load with a repository file', () => {
  it("a repository's [hosts.*] is never read, so a value fleet could not use stops nothing (it would never apply)", async () => {
    const w = world('', 'max_parallel = 3\n[hosts.evil]\nssh = "sh -c \'touch /tmp/owned\'"\n[hosts.junk]\nssh = 42\n');
    const loaded = await w.configs.load(w.repo);
    expect(loaded.config.max_parallel).toBe(3);
    expect(loaded.config.hosts).toEqual({});
    expect(loaded.report.ignored).toEqual([
      { key: 'hosts.evil', value: { ssh: "sh -c 'touch /tmp/owned'" }, reason: 'user-only' },
      { key: 'hosts.junk', value: { ssh: 42 }, reason: 'user-only' },
    ]);
  });

  it('untrusted: harmless keys apply, gated keys are reported and left out; trusted: all but user-only apply', async () => {
    const w = world('setup_commands = ["mine"]\n', 'max_parallel = 2\nsetup_commands = ["theirs"]\n[agents.claude]\ncommand = "evil"\n[hosts.h]\nssh = "h"\n');
    const before = await w.configs.load(w.repo);
    expect(before.config.max_parallel).toBe(2);
    expect(before.config.setup_commands).toEqual(['mine']);
    expect(before.config.agents).toEqual({});
    expect(before.config.hosts).toEqual({});
    expect(before.report.repoFile?.trust).toBe('untrusted');
    expect(before.report.sources).toMatchObject({ max_parallel: 'repo', setup_commands: 'user', default_agent: 'default' });
    expect(before.report.ignored).toEqual([
      { key: 'setup_commands', value: ['theirs'], reason: 'untrusted' },
      { key: 'agents.claude', value: { command: 'evil' }, reason: 'untrusted' },
      { key: 'hosts.h', value: { ssh: 'h' }, reason: 'user-only' },
    ]);

    const bytes = fs.readFileSync(path.join(w.repo, '.fleet.toml'));
    await w.configs.trustStore().trust(w.repo, sha256(bytes), bytes.toString());
    const after = await w.configs.load(w.repo);
    expect(after.report.repoFile?.trust).toBe('trusted');
    expect(after.config.setup_commands).toEqual(['theirs']);
    expect(after.config.agents).toEqual({ claude: { command: 'evil' } });
    expect(after.config.hosts).toEqual({});
    expect(after.report.ignored).toEqual([{ key: 'hosts.h', value: { ssh: 'h' }, reason: 'user-only' }]);

    fs.appendFileSync(path.join(w.repo, '.fleet.toml'), '\n');
    const changed = await w.configs.load(w.repo);
    expect(changed.report.repoFile?.trust).toBe('changed');
    expect(changed.config.setup_commands).toEqual(['mine']);
  });

  it('a file with only harmless keys never reads the trust store', async () => {
    const w = world('', 'max_parallel = 2\n');
    fs.writeFileSync(path.join(w.home, 'trust.json'), 'not json');
    const r = await w.configs.load(w.repo);
    expect(r.report.repoFile?.trust).toBe('not-needed');
    expect(r.warnings).toEqual([]);
  });

  it('an unreadable trust store trusts nothing, with a warning', async () => {
    const w = world('', 'setup_commands = ["x"]\n');
    fs.writeFileSync(path.join(w.home, 'trust.json'), '{"repos": ');
    const r = await w.configs.load(w.repo);
    expect(r.config.setup_commands).toEqual([]);
    expect(r.warnings).toEqual([`${w.home}/trust.json is unreadable, so no repository's .fleet.toml is trusted (fleet trust rewrites it)`]);
  });

  it('a relative worktree_root resolves against the directory of the file that sets it', async () => {
    const w = world('worktree_root = "trees"\n', 'worktree_root = "../elsewhere"\n');
    expect((await w.configs.load()).config.worktree_root).toBe(path.join(w.home, 'trees'));
    const bytes = fs.readFileSync(path.join(w.repo, '.fleet.toml'));
    await w.configs.trustStore().trust(w.repo, sha256(bytes), bytes.toString());
    expect((await w.configs.load(w.repo)).config.worktree_root).toBe(path.join(w.dir, 'elsewhere'));
  });
});

describe('guardConfig', () => {
  const report = (ignored: { key: string; value: unknown; reason: 'untrusted' | 'user-only' }[]) => ({
    userFile: '/f/config.toml',
    repoFile: { path: '/r/.fleet.toml', sha256: 'x', trust: 'untrusted' as const },
    sources: {},
    ignored,
  });

  it('warns once, on the first read of an ignored key, and not for other keys', () => {
    const warned: string[] = [];
    const r = report([{ key: 'setup_commands', value: ['x'], reason: 'untrusted' }]);
    const c = guardConfig(defaultConfig('/h'), r.ignored, () => warned.push(ignoredWarning(r, '/home')));
    expect(c.max_parallel).toBe(4);
    expect(c.idle_seconds).toBe(30);
    expect(warned).toEqual([]);
    expect(c.setup_commands).toEqual([]);
    expect([...c.setup_commands]).toEqual([]);
    expect(warned).toEqual(['ignoring setup_commands from /r/.fleet.toml: it is not trusted (review it, then run: fleet trust)']);
  });

  it('table entries: a lookup of an ignored one, or a listing, warns; a lookup of another does not', () => {
    const base = { ...defaultConfig('/h'), agents: { mine: { command: 'mine' } } };
    let n = 0;
    const ignored = [{ key: 'agents.claude', value: { command: 'evil' }, reason: 'untrusted' as const }];
    const c = guardConfig(base, ignored, () => n++);
    expect(c.agents.mine).toEqual({ command: 'mine' });
    expect(c.agents.shell).toBeUndefined();
    expect(n).toBe(0);
    expect(c.agents.claude).toBeUndefined();
    expect(n).toBe(1);
    const listed = guardConfig(base, ignored, () => n++);
    expect(Object.keys(listed.agents)).toEqual(['mine']);
    expect(n).toBe(2);
  });

  it('names user-only keys apart from untrusted ones', () => {
    const r = report([
      { key: 'claude_flags', value: '--x', reason: 'untrusted' },
      { key: 'hosts.h', value: {}, reason: 'user-only' },
    ]);
    expect(ignoredWarning(r, '/home')).toBe(
      'ignoring claude_flags from /r/.fleet.toml: it is not trusted (review it, then run: fleet trust); and hosts.h: only your own config.toml may set it (fleet config edit)',
    );
  });
});

describe('TrustStore', () => {
  it('keeps entries by repository and content hash in a 0600 file; revoke forgets', async () => {
    const home = tmp();
    const store = new TrustStore(home);
    await store.trust('/a', sha256('one'), 'one');
    expect(store.lookup('/a')?.sha256).toBe(sha256('one'));
    expect(store.lookup('/b')).toBeUndefined();
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
    expect(await store.revoke('/a')).toBe(true);
    expect(await store.revoke('/a')).toBe(false);
    expect(store.lookup('/a')).toBeUndefined();
  });

  it('concurrent changes lose nothing (the lock spans the read-modify-write)', async () => {
    const home = tmp();
    const stores = Array.from({ length: 8 }, () => new TrustStore(home));
    await Promise.all(stores.map((s, i) => s.trust(`/repo-${i}`, sha256(String(i)), String(i))));
    const data = JSON.parse(fs.readFileSync(path.join(home, 'trust.json'), 'utf8')) as { repos: Record<string, unknown> };
    expect(Object.keys(data.repos).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `/repo-${i}`).sort());
  });
});

describe('fleet home permissions', () => {
  it('0755 is tightened to 0700 with a warning; 1777 and 0775 are refused and left alone; another owner is refused', () => {
    const dir = tmp();
    const warned: string[] = [];
    fs.chmodSync(dir, 0o755);
    checkHomePermissions(dir, '/nowhere', (m) => warned.push(m));
    expect(fs.statSync(dir).mode & 0o7777).toBe(0o700);
    expect(warned).toEqual([`fleet home ${dir} was readable by other users (mode 0755); made it 0700`]);
    checkHomePermissions(dir, '/nowhere', (m) => warned.push(m));
    expect(warned).toHaveLength(1);
    for (const mode of [0o1777, 0o775]) {
      fs.chmodSync(dir, mode);
      expect(() => checkHomePermissions(dir, '/nowhere', () => undefined)).toThrow(/can be written by other users/);
      expect(fs.statSync(dir).mode & 0o7777).toBe(mode);
    }
    fs.chmodSync(dir, 0o700);
    const owner = fs.statSync(dir).uid;
    expect(() => checkHomePermissions(dir, '/nowhere', () => undefined, owner + 1)).toThrow(`fleet home ${dir} belongs to another user (uid ${owner})`);
  });
});

describe('validation of [env] and [agents.NAME.env]', () => {
  it('takes string values under portable names', () => {
    const v = validateConfig({ env: { HTTP_PROXY: 'http://p' }, agents: { t: { command: 't', env: { T_MODE: 'x' } } } }, 'c.toml');
    expect(v.values.env).toEqual({ HTTP_PROXY: 'http://p' });
    expect(v.values.agents).toEqual({ t: { command: 't', env: { T_MODE: 'x' } } });
    expect(v.warnings).toEqual([]);
  });
  it('names the key and what it must be', () => {
    expect(() => validateConfig({ env: { PORT: 8080n } }, 'c.toml')).toThrow(/^env\.PORT in c\.toml must be a string \(quote it\), not the number 8080$/);
    expect(() => validateConfig({ env: { '1X': 'a' } }, 'c.toml')).toThrow(/env\.1X in c\.toml must be named with letters/);
    expect(() => validateConfig({ env: 'A=b' }, 'c.toml')).toThrow(/^env in c\.toml must be a table/);
    expect(() => validateConfig({ agents: { t: { command: 't', env: { A: true } } } }, 'c.toml')).toThrow(/^agents\.t\.env\.A in c\.toml must be a string/);
  });
});

describe('lineDiff', () => {
  it('shows removed, added and nearby unchanged lines, folding the rest', () => {
    const a = 'a\nb\nc\nd\ne\nf\ng\n';
    const b = 'a\nb\nc\nD\ne\nf\ng\nh\n';
    expect(lineDiff(a, b, 1)).toEqual(['…', '  c', '- d', '+ D', '  e', '…', '  g', '+ h']);
    expect(lineDiff('', 'x\n')).toEqual(['+ x']);
    expect(lineDiff('same\n', 'same\n')).toEqual(['…']);
  });
});

describe('showable', () => {
  it('makes control and direction characters visible, keeping newlines, tabs and CRLF', () => {
    expect(showable('a\tb\r\nc')).toBe('a\tb\r\nc');
    expect(showable('x\x1b[2Ky\rz\u202eq')).toBe('x\\u{1b}[2Ky\\u{d}z\\u{202e}q');
  });
});
