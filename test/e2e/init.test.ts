import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, fleet, makeSandbox, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
beforeEach(async () => {
  sb = await makeSandbox();
});
afterEach(async () => {
  await sb.cleanup();
});

const readToml = (repo: string) => parse(fs.readFileSync(path.join(repo, '.fleet.toml'), 'utf8'));

/** Fixture repositories of four ecosystems: committed files, then untracked ones (git-ignored or not). */
const FIXTURES: Record<string, { files: Record<string, string>; untracked?: Record<string, string>; expected: Record<string, unknown> }> = {
  'node (npm)': {
    files: {
      'package.json': JSON.stringify({ name: 'web', private: true, scripts: { test: 'node --test', build: 'tsc' } }, null, 2),
      'package-lock.json': '{"name":"web","lockfileVersion":3,"requires":true,"packages":{}}\n',
      '.gitignore': 'node_modules/\n.env\n.env.local\n',
      '.env.example': 'API_KEY=\n',
    },
    untracked: { '.env': 'API_KEY=secret\n', '.env.local': 'DEBUG=1\n', '.envrc.txt': 'not ignored\n' },
    expected: { setup_commands: ['npm ci'], credential_files: ['.env', '.env.local'], compare_command: 'npm test' },
  },
  'python (uv)': {
    files: {
      'pyproject.toml': '[project]\nname = "svc"\nversion = "0.1.0"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
      'uv.lock': 'version = 1\nrequires-python = ">=3.11"\n',
      '.gitignore': '.venv/\n.env\n',
      'tests/test_x.py': 'def test_x():\n    assert True\n',
    },
    untracked: { '.env': 'DATABASE_URL=postgres://localhost/x\n' },
    expected: { setup_commands: ['uv sync'], credential_files: ['.env'], compare_command: 'uv run pytest' },
  },
  'python (poetry)': {
    files: { 'pyproject.toml': '[tool.poetry]\nname = "svc"\n', 'poetry.lock': '# poetry\n', 'conftest.py': '' },
    expected: { setup_commands: ['poetry install'], compare_command: 'poetry run pytest' },
  },
  rust: {
    files: { 'Cargo.toml': '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n', 'Cargo.lock': 'version = 3\n', 'src/main.rs': 'fn main() {}\n' },
    expected: { setup_commands: ['cargo fetch'], compare_command: 'cargo test' },
  },
  go: {
    files: { 'go.mod': 'module example.com/tool\n\ngo 1.22\n', 'go.sum': '', 'main.go': 'package main\nfunc main() {}\n' },
    expected: { setup_commands: ['go mod download'], compare_command: 'go test ./...' },
  },
};

describe('fleet init', () => {
  it.each(Object.keys(FIXTURES))('%s: --yes writes the keys it finds, then points at fleet trust', async (name) => {
    const fx = FIXTURES[name]!;
    const repo = await sb.repo('app', fx.files);
    for (const [f, c] of Object.entries(fx.untracked ?? {})) fs.writeFileSync(path.join(repo, f), c);
    const r = await fleet(sb, ['init', '--yes'], { cwd: repo });
    expect(r.stderr).toMatch(/^next: fleet trust {2}\(setup_commands(, credential_files)? and compare_command in a repository's \.fleet\.toml apply only after you trust its exact content\)$/m);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`wrote ${repo}/.fleet.toml (setup: ${(fx.expected.setup_commands as string[]).join(', ')}${fx.expected.credential_files ? `; copies: ${(fx.expected.credential_files as string[]).join(', ')}` : ''}; compare: ${fx.expected.compare_command as string})`);
    expect(readToml(repo)).toEqual(fx.expected);
  });

  it('a tracked .env or a linked one is never listed; only files git ignores', async () => {
    const repo = await sb.repo('app', { '.gitignore': '.env.*\n', '.env': 'tracked, so not a secret\n', 'go.mod': 'module x\n' });
    fs.writeFileSync(path.join(repo, '.env.local'), 'S=1');
    fs.symlinkSync(path.join(sb.home, '.bashrc'), path.join(repo, '.env.production'));
    expect((await fleet(sb, ['init', '--yes'], { cwd: repo })).exitCode).toBe(0);
    expect(readToml(repo).credential_files).toEqual(['.env.local']);
  });

  it('without a terminal and without --yes: refuses with a hint and writes nothing', async () => {
    const repo = await sb.repo('app', FIXTURES['go']!.files);
    const r = await fleet(sb, ['init'], { cwd: repo });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('error: fleet init shows .fleet.toml and asks before writing it, but there is no terminal to ask on\nhint: fleet init --yes writes it; fleet init --dry-run prints it');
    expect(fs.existsSync(path.join(repo, '.fleet.toml'))).toBe(false);
  });

  it('--dry-run prints the file and writes nothing', async () => {
    const repo = await sb.repo('app', FIXTURES['rust']!.files);
    const r = await fleet(sb, ['init', '--dry-run'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(parse(r.stdout)).toEqual(FIXTURES['rust']!.expected);
    expect(r.stdout).toMatch(/^# fleet settings for this repository/);
    expect(fs.existsSync(path.join(repo, '.fleet.toml'))).toBe(false);
  });

  it('never overwrites an existing .fleet.toml without --force', async () => {
    const repo = await sb.repo('app', { ...FIXTURES['go']!.files, '.fleet.toml': 'max_parallel = 2\n' });
    const r = await fleet(sb, ['init', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`error: ${repo}/.fleet.toml already exists\nhint: fleet init --dry-run shows what fleet would write; --force replaces the file`);
    expect(fs.readFileSync(path.join(repo, '.fleet.toml'), 'utf8')).toBe('max_parallel = 2\n');
    expect((await fleet(sb, ['init', '--yes', '--force'], { cwd: repo })).exitCode).toBe(0);
    expect(readToml(repo)).toEqual(FIXTURES['go']!.expected);
  });

  it('--force replaces a .fleet.toml that is a link without writing through it', async () => {
    const repo = await sb.repo('app', FIXTURES['go']!.files);
    const target = path.join(sb.home, '.bashrc');
    fs.writeFileSync(target, 'export PS1=x\n');
    fs.symlinkSync(target, path.join(repo, '.fleet.toml'));
    expect((await fleet(sb, ['init', '--yes'], { cwd: repo })).exitCode).toBe(1); // a link counts as existing
    expect((await fleet(sb, ['init', '--yes', '--force'], { cwd: repo })).exitCode).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe('export PS1=x\n');
    expect(fs.lstatSync(path.join(repo, '.fleet.toml')).isFile()).toBe(true);
    expect(readToml(repo)).toEqual(FIXTURES['go']!.expected);
  });

  it('--force also works when the existing file is not valid TOML (it is not parsed first)', async () => {
    const repo = await sb.repo('app', { ...FIXTURES['go']!.files, '.fleet.toml': 'max_parallel = [\n' });
    expect((await fleet(sb, ['init', '--yes', '--force'], { cwd: repo })).exitCode).toBe(0);
    expect(readToml(repo)).toEqual(FIXTURES['go']!.expected);
  });

  it('nothing found: a commented file, and no trust needed', async () => {
    const repo = await sb.repo('app');
    const r = await fleet(sb, ['init', '--yes'], { cwd: repo });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`wrote ${repo}/.fleet.toml`);
    expect(r.stderr).toMatch(/^next: fleet config show/);
    expect(readToml(repo)).toEqual({});
    // The file is a valid repository config for every command.
    expect((await fleet(sb, ['config', 'get', 'max_parallel'], { cwd: repo })).stdout).toBe('4');
  });

  it('outside a repository: the usual error', async () => {
    const r = await fleet(sb, ['init', '--yes'], { cwd: sb.home });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^error: not inside a git repository/);
  });

  describe('on a terminal', () => {
    // `script` gives fleet a real terminal; what is piped in is what the user types.
    const onTerminal = (repo: string, typed: string) =>
      execa('script', ['-qec', `'${process.execPath}' '${CLI}' init`, '/dev/null'], { cwd: repo, env: sb.env, extendEnv: false, input: typed, reject: false, timeout: 30_000 });

    it('shows the file and writes it when the answer is yes', async () => {
      const repo = await sb.repo('app', FIXTURES['rust']!.files);
      const r = await onTerminal(repo, 'y\n');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/setup_commands = \["cargo fetch"\]/);
      expect(r.stdout).toMatch(/write .*\.fleet\.toml\? \[y\/N\]/);
      expect(readToml(repo)).toEqual(FIXTURES['rust']!.expected);
    });

    it('writes nothing when the answer is no', async () => {
      const repo = await sb.repo('app', FIXTURES['rust']!.files);
      const r = await onTerminal(repo, 'n\n');
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/error: nothing written/);
      expect(fs.existsSync(path.join(repo, '.fleet.toml'))).toBe(false);
    });
  });
});
